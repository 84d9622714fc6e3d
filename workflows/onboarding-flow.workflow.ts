import { WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "cloudflare:workers";
import { createDb } from "../src/db/client";
import { sendQueueEnqueuer } from "../src/domain/campaigns/send-message";
import type { TriggerDeps } from "../src/domain/campaigns/trigger";
import type { OnboardingRunParams } from "../src/domain/onboarding/enrollment";
import {
  checkMilestoneReached,
  decideBranch,
  enterStep,
  finishMilestone,
  finishRun,
  isActive,
  loadRunPlan,
  MAX_WAIT_SECONDS,
  milestoneEventType,
  recordStep,
  runEmailStep,
} from "../src/domain/onboarding/flow-run";
import { readConfig } from "../src/env";

export type { OnboardingRunParams };

/** How the run ended, as the instance's output. */
export type OnboardingRunOutput = { ended: "completed" } | { ended: "stopped"; stop_reason: string } | { ended: "inactive" | "missing" };

/** A timed-out `waitForEvent` throws; this tells that apart from anything else thrown there (a pause, a platform error). */
const isEventTimeout = (error: unknown) =>
  error instanceof Error && (error.name === "WorkflowTimeoutError" || /timed out/i.test(error.message));

/** Pause, terminate and restart abort the running code with this error; the engine, not the run, handles it. */
const isEngineAbort = (error: unknown) => error instanceof Error && /Aborting engine/.test(error.message);

/**
 * One user's run through one version of an onboarding flow (the instance id is the progress id). Each flow step is a
 * few Workflow steps: an `enter` step that moves the progress there and ends the run if it is no longer active, then
 * `step.sleep` for waits and delays, `step.waitForEvent` for milestones and a `step.do` for what the step does
 * (src/domain/onboarding/flow-run.ts). Step names carry the flow step's index, so they are unique in a run.
 */
export class OnboardingFlowWorkflow extends WorkflowEntrypoint<Env, OnboardingRunParams> {
  override async run(event: Readonly<WorkflowEvent<OnboardingRunParams>>, step: WorkflowStep): Promise<OnboardingRunOutput> {
    const { workspace_id, progress_id } = event.payload;
    const db = createDb(this.env.DB);
    const config = readConfig(this.env);
    const triggerDeps: TriggerDeps = {
      db,
      env: this.env,
      urls: config,
      encryptionKey: config.ENCRYPTION_KEY,
      enqueueSends: sendQueueEnqueuer(this.env.SEND_QUEUE),
    };
    const stop = async (name: string, stop_reason: string): Promise<OnboardingRunOutput> => {
      await step.do(`${name}: stop`, () => finishRun(db, progress_id, { status: "stopped", stop_reason }, new Date()));
      return { ended: "stopped", stop_reason };
    };

    const runSteps = async (): Promise<OnboardingRunOutput> => {
      const plan = await step.do("load", () => loadRunPlan(db, workspace_id, progress_id));
      if (!plan) return { ended: "missing" };

      let index = 0;
      while (index < plan.steps.length) {
        const current = plan.steps[index];
        const at = index;
        const name = `${at} ${current.type} ${current.id}`;
        const waitSeconds =
          current.type === "email" || current.type === "wait"
            ? current.delay
            : current.type === "milestone"
              ? (current.timeout ?? MAX_WAIT_SECONDS)
              : 0;
        const entered = await step.do(`${name}: enter`, async () => {
          const now = new Date();
          const until = waitSeconds > 0 ? new Date(now.getTime() + waitSeconds * 1000) : null;
          return { active: await enterStep(db, progress_id, at, until, now), at: now.toISOString() };
        });
        if (!entered.active) return { ended: "inactive" };
        const startedAt = new Date(entered.at);

        switch (current.type) {
          case "email": {
            if (current.delay > 0) {
              await step.sleep(`${name}: delay`, current.delay * 1000);
              if (!(await step.do(`${name}: still active`, () => isActive(db, progress_id)))) return { ended: "inactive" };
            }
            const sent = await step.do(`${name}: send`, () => runEmailStep(triggerDeps, plan, at, startedAt, new Date()));
            if (sent.stop_reason) return stop(name, sent.stop_reason);
            index++;
            break;
          }
          case "wait": {
            await step.sleep(`${name}: sleep`, current.delay * 1000);
            await step.do(`${name}: waited`, () => recordStep(db, plan, at, { outcome: "waited" }, startedAt, new Date()));
            index++;
            break;
          }
          case "milestone": {
            const already = await step.do(`${name}: reached before`, () => checkMilestoneReached(db, plan, at, startedAt, new Date()));
            if (!already) {
              let reached = true;
              try {
                await step.waitForEvent(`${name}: wait`, { type: milestoneEventType(current.slug), timeout: waitSeconds * 1000 });
              } catch (error) {
                if (!isEventTimeout(error)) throw error;
                reached = false;
              }
              const result = await step.do(`${name}: finish`, () => finishMilestone(db, plan, at, reached, startedAt, new Date()));
              if (result.stop_reason) return stop(name, result.stop_reason);
            }
            index++;
            break;
          }
          case "branch": {
            const decision = await step.do(`${name}: decide`, () => decideBranch(db, plan, at, startedAt, new Date()));
            index = decision.next_index;
            break;
          }
        }
      }
      await step.do("complete", () => finishRun(db, progress_id, { status: "completed" }, new Date()));
      return { ended: "completed" };
    };

    try {
      return await runSteps();
    } catch (error) {
      if (isEngineAbort(error)) throw error;
      // A step that kept failing (D1 unavailable past its retries) ends the run, so the progress does not stay
      // active with no instance behind it, which would also keep the user from being enrolled again.
      console.error(`onboarding ${progress_id}: ${(error as Error).message}`);
      await step.do("failed", () => finishRun(db, progress_id, { status: "stopped", stop_reason: "step_failed" }, new Date()));
      throw error;
    }
  }
}
