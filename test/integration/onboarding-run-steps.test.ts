import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { emailCampaigns, type OnboardingStep, userOnboardingProgress } from "../../src/db/schema";
import type { TriggerDeps } from "../../src/domain/campaigns/trigger";
import { enrollSubscriber } from "../../src/domain/onboarding/enrollment";
import {
  emailIdempotencyKey,
  enterStep,
  finishRun,
  loadRunPlan,
  type RunPlan,
  runEmailStep,
  targetIndex,
} from "../../src/domain/onboarding/flow-run";
import { newId } from "../../src/lib/ids";
import { db, deliveryDeps } from "../factories/campaigns";
import {
  capturedSubjects,
  emailStep,
  insertFlow,
  onboardingSetup,
  progressHistory,
  readProgress,
  recipientsOf,
} from "../factories/onboarding";

/** What the Workflow runs, called directly: a progress row with no instance behind it. */
async function planFor(steps: (setup: Awaited<ReturnType<typeof onboardingSetup>>) => OnboardingStep[], names: string[]) {
  const setup = await onboardingSetup(names);
  const flow = await insertFlow(setup.workspace.id, steps(setup));
  const progressId = newId("obp");
  await db.insert(userOnboardingProgress).values({
    id: progressId,
    workspace_id: setup.workspace.id,
    flow_id: flow.id,
    subscriber_id: setup.subscribers[0].id,
  });
  const plan = (await loadRunPlan(db, setup.workspace.id, progressId)) as RunPlan;
  return { setup, plan, progressId };
}

const triggerDeps = (): TriggerDeps => ({
  ...deliveryDeps(),
  enqueueSends: async () => {
    throw new Error("the capture provider takes every message at once");
  },
});

describe("an email step run again", () => {
  it("sends once when the step is retried after it sent, or runs twice at once: the step's idempotency key is the send's", async () => {
    const { setup, plan, progressId } = await planFor((s) => [emailStep(s, "welcome")], ["welcome"]);
    const first = await runEmailStep(triggerDeps(), plan, 0, new Date(), new Date());
    const retried = await runEmailStep(triggerDeps(), plan, 0, new Date(), new Date());
    expect(retried).toEqual(first);
    const concurrent = await Promise.all([1, 2, 3].map(() => runEmailStep(triggerDeps(), plan, 0, new Date(), new Date())));
    expect(new Set(concurrent.map((r) => r.recipient_id))).toEqual(new Set([first.recipient_id]));

    expect(await capturedSubjects(setup, "welcome")).toEqual(["welcome"]);
    expect(await recipientsOf(setup, "welcome")).toHaveLength(1);
    expect((await progressHistory(progressId)).map((s) => [s.step_id, s.outcome, s.recipient_id])).toEqual([
      ["welcome", "sent", first.recipient_id],
    ]);
    expect((await readProgress(progressId))?.completed_steps).toEqual([0]);
    expect(emailIdempotencyKey(progressId, 0)).toBe(`onboarding:${progressId}:0`);
  });

  it("records a send the campaign refuses as failed with why, and the flow goes on", async () => {
    const { setup, plan } = await planFor((s) => [emailStep(s, "welcome")], ["welcome"]);
    await db.update(emailCampaigns).set({ status: "paused" }).where(eq(emailCampaigns.id, setup.campaigns.welcome.campaign_id));
    const result = await runEmailStep(triggerDeps(), plan, 0, new Date(), new Date());
    expect(result).toMatchObject({ outcome: "failed", reason: expect.stringContaining("paused"), stop_reason: null });
    expect(await capturedSubjects(setup, "welcome")).toEqual([]);
  });
});

describe("progress bookkeeping", () => {
  it("moves only an active progress and ends it once", async () => {
    const { progressId } = await planFor(() => [{ id: "wait_1", type: "wait", delay: 60 }], []);
    const now = new Date("2026-12-05T10:00:00.000Z");
    expect(await enterStep(db, progressId, 0, new Date(now.getTime() + 60_000), now)).toBe(true);
    expect(await readProgress(progressId)).toMatchObject({ current_step: 0, next_step_at: "2026-12-05T10:01:00.000Z" });
    await finishRun(db, progressId, { status: "stopped", stop_reason: "milestone_timeout" }, now);
    await finishRun(db, progressId, { status: "completed" }, now);
    expect(await readProgress(progressId)).toMatchObject({ status: "stopped", stop_reason: "milestone_timeout", next_step_at: null });
    expect(await enterStep(db, progressId, 1, null, now)).toBe(false);
  });

  it("reads no plan for a progress of another workspace", async () => {
    const { progressId } = await planFor(() => [{ id: "wait_1", type: "wait", delay: 60 }], []);
    const other = await onboardingSetup([]);
    expect(await loadRunPlan(db, other.workspace.id, progressId)).toBeNull();
  });
});

describe("enrollment without an instance", () => {
  it("leaves no active progress when the Workflow instance cannot be created, so the user can be enrolled again", async () => {
    const setup = await onboardingSetup([]);
    const flow = await insertFlow(setup.workspace.id, [{ id: "wait_1", type: "wait", delay: 60 }]);
    const failing = {
      ...env,
      ONBOARDING_WORKFLOW: {
        create: async () => {
          throw new Error("workflows unavailable");
        },
      },
    } as unknown as Env;
    const input = { subscriber_id: setup.subscribers[0].id, enrolled_by: "api" };
    await expect(enrollSubscriber({ db, env: failing }, setup.workspace.id, { flow_slug: flow.slug }, input, new Date())).rejects.toThrow(
      "workflows unavailable",
    );
    expect(await db.select().from(userOnboardingProgress).where(eq(userOnboardingProgress.flow_id, flow.id))).toEqual([]);
  });
});

describe("branch targets", () => {
  const steps: OnboardingStep[] = [
    { id: "a", type: "wait", delay: 0 },
    { id: "b", type: "wait", delay: 0 },
    { id: "c", type: "wait", delay: 0 },
  ];
  it("go to the next step, the end, or a later step by id; never back", () => {
    expect(targetIndex(steps, 0, "next")).toBe(1);
    expect(targetIndex(steps, 0, "end")).toBe(3);
    expect(targetIndex(steps, 0, { step: "c" })).toBe(2);
    expect(targetIndex(steps, 1, { step: "a" })).toBe(3);
    expect(targetIndex(steps, 1, { step: "missing" })).toBe(3);
  });
});
