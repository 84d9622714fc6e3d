import { and, eq, sql } from "drizzle-orm";
import type { Database } from "../../db/client";
import {
  type BranchTarget,
  listMemberships,
  type OnboardingStep,
  onboardingFlows,
  onboardingFlowVersions,
  onboardingProgressSteps,
  subscriberMilestones,
  subscribers,
  trackingEvents,
  userOnboardingProgress,
} from "../../db/schema";
import type { onboardingStepOutcomes } from "../../db/schema/enums";
import { matchesFilter } from "../audience/filter-match";
import { type TriggerDeps, triggerSend } from "../campaigns/trigger";
import { DomainError } from "../errors";

/**
 * What each step of an onboarding flow does, as plain functions over D1: the Workflow
 * (workflows/onboarding-flow.workflow.ts) calls each inside its own `step.do`, so each runs once per step even when
 * the Worker restarts, and tests call them directly. Every function is safe to run twice for the same step.
 */

export type StepOutcome = (typeof onboardingStepOutcomes)[number];

/** The longest a Workflow may sleep or wait for an event: 365 days. A milestone without a timeout waits this long. */
export const MAX_WAIT_SECONDS = 365 * 86_400;

/** What a running flow needs to know about itself, read once when it starts. */
export interface RunPlan {
  workspace_id: string;
  progress_id: string;
  flow_id: string;
  flow_slug: string;
  subscriber_id: string;
  steps: OnboardingStep[];
  on_unsubscribe: "stop" | "continue";
}

/**
 * Workflow event types allow letters, digits, `-` and `_` only (at most 100 characters); milestone slugs and step
 * ids already match `^[a-z0-9][a-z0-9_-]{0,63}$`, so the prefix keeps them valid and apart from other events.
 */
export const milestoneEventType = (slug: string) => `milestone_${slug}`;

export const emailIdempotencyKey = (progressId: string, stepIndex: number) => `onboarding:${progressId}:${stepIndex}`;

/** Skip reasons after which the user cannot be mailed at all, so `on_unsubscribe` decides whether the flow goes on. */
const UNMAILABLE_REASONS = new Set([
  "unsubscribed",
  "bounced",
  "complained",
  "suppression_list",
  "category_opt_out",
  "cross_campaign_bounce",
  "cross_campaign_complaint",
]);

/** The run's progress, flow and the version it started on; null when the progress no longer exists (flow deleted). */
export async function loadRunPlan(db: Database, workspaceId: string, progressId: string): Promise<RunPlan | null> {
  const row = await db
    .select({
      progress_id: userOnboardingProgress.id,
      flow_id: userOnboardingProgress.flow_id,
      subscriber_id: userOnboardingProgress.subscriber_id,
      flow_slug: onboardingFlows.slug,
      steps: onboardingFlowVersions.steps,
      on_unsubscribe: onboardingFlowVersions.on_unsubscribe,
    })
    .from(userOnboardingProgress)
    .innerJoin(onboardingFlows, eq(onboardingFlows.id, userOnboardingProgress.flow_id))
    .innerJoin(
      onboardingFlowVersions,
      and(
        eq(onboardingFlowVersions.flow_id, userOnboardingProgress.flow_id),
        eq(onboardingFlowVersions.version, userOnboardingProgress.flow_version),
      ),
    )
    .where(and(eq(userOnboardingProgress.workspace_id, workspaceId), eq(userOnboardingProgress.id, progressId)))
    .get();
  if (!row?.subscriber_id) return null;
  return { ...row, workspace_id: workspaceId, subscriber_id: row.subscriber_id };
}

/**
 * Moves the progress to step `index` if it is still active, and says whether it is: a cancelled, stopped or
 * deleted run ends at its next step. `nextStepAt` is when the step's wait, delay or timeout ends, if it has one.
 */
export async function enterStep(db: Database, progressId: string, index: number, nextStepAt: Date | null, now: Date): Promise<boolean> {
  const updated = await db
    .update(userOnboardingProgress)
    .set({ current_step: index, next_step_at: nextStepAt?.toISOString() ?? null, updated_at: now.toISOString() })
    .where(and(eq(userOnboardingProgress.id, progressId), eq(userOnboardingProgress.status, "active")))
    .returning({ id: userOnboardingProgress.id });
  return updated.length > 0;
}

export async function isActive(db: Database, progressId: string): Promise<boolean> {
  const row = await db
    .select({ status: userOnboardingProgress.status })
    .from(userOnboardingProgress)
    .where(eq(userOnboardingProgress.id, progressId))
    .get();
  return row?.status === "active";
}

export interface StepRecord {
  outcome: StepOutcome;
  reason?: string | null;
  recipient_id?: string | null;
}

/** Writes the step's line in the history once (a repeat keeps the first) and adds it to the completed steps. */
export async function recordStep(
  db: Database,
  plan: RunPlan,
  index: number,
  record: StepRecord,
  startedAt: Date,
  now: Date,
): Promise<void> {
  const step = plan.steps[index];
  await db.batch([
    db
      .insert(onboardingProgressSteps)
      .values({
        workspace_id: plan.workspace_id,
        progress_id: plan.progress_id,
        step_index: index,
        step_id: step.id,
        step_type: step.type,
        outcome: record.outcome,
        reason: record.reason ?? null,
        recipient_id: record.recipient_id ?? null,
        started_at: startedAt.toISOString(),
        finished_at: now.toISOString(),
      })
      .onConflictDoNothing(),
    db
      .update(userOnboardingProgress)
      .set({
        completed_steps: sql`case when exists (select 1 from json_each(${userOnboardingProgress.completed_steps}) where value = ${index})
          then ${userOnboardingProgress.completed_steps} else json_insert(${userOnboardingProgress.completed_steps}, '$[#]', ${index}) end`,
        next_step_at: null,
        updated_at: now.toISOString(),
      })
      .where(eq(userOnboardingProgress.id, plan.progress_id)),
  ]);
}

export interface EmailStepResult extends StepRecord {
  /** Set when the flow must end here: the user cannot be mailed and the flow says stop. */
  stop_reason: string | null;
}

/**
 * Sends the email step's triggered campaign to the subscriber. The send's idempotency key is the step's, so running
 * this again for the same step (a retried step, a restarted Worker) returns the first send and mails nothing.
 */
export async function runEmailStep(deps: TriggerDeps, plan: RunPlan, index: number, startedAt: Date, now: Date): Promise<EmailStepResult> {
  const step = plan.steps[index];
  if (step.type !== "email") throw new Error(`step ${index} of ${plan.progress_id} is not an email step`);
  let result: EmailStepResult;
  try {
    const { recipient } = await triggerSend(
      deps,
      plan.workspace_id,
      step.campaign_id,
      {
        subscriber_id: plan.subscriber_id,
        context: { onboarding: { flow_id: plan.flow_id, flow_slug: plan.flow_slug, step_id: step.id } },
      },
      emailIdempotencyKey(plan.progress_id, index),
      now,
    );
    if (recipient.status !== "failed") {
      result = { outcome: "sent", recipient_id: recipient.id, stop_reason: null };
    } else {
      const reason = recipient.failure_reason ?? "failed";
      const unmailable = UNMAILABLE_REASONS.has(reason);
      const skipped = unmailable || reason === "frequency_cap";
      result = {
        outcome: skipped ? "skipped" : "failed",
        reason: recipient.failure_detail ? `${reason}: ${recipient.failure_detail}` : reason,
        recipient_id: recipient.id,
        stop_reason: unmailable && plan.on_unsubscribe === "stop" ? reason : null,
      };
    }
  } catch (error) {
    // The campaign cannot send now (paused, cancelled, deleted, no template): this email is lost, the flow goes on.
    if (!(error instanceof DomainError)) throw error;
    result = { outcome: "failed", reason: error.message, stop_reason: null };
  }
  await recordStep(deps.db, plan, index, result, startedAt, now);
  return result;
}

/** Whether the subscriber reached the milestone before; if so the step is recorded `reached` at once. */
export async function checkMilestoneReached(db: Database, plan: RunPlan, index: number, startedAt: Date, now: Date): Promise<boolean> {
  const step = plan.steps[index];
  if (step.type !== "milestone") throw new Error(`step ${index} of ${plan.progress_id} is not a milestone step`);
  const reached = await db
    .select({ slug: subscriberMilestones.slug })
    .from(subscriberMilestones)
    .where(
      and(
        eq(subscriberMilestones.workspace_id, plan.workspace_id),
        eq(subscriberMilestones.subscriber_id, plan.subscriber_id),
        eq(subscriberMilestones.slug, step.slug),
      ),
    )
    .get();
  if (reached) await recordStep(db, plan, index, { outcome: "reached" }, startedAt, now);
  return Boolean(reached);
}

export interface MilestoneResult extends StepRecord {
  stop_reason: string | null;
}

/** Records how a milestone wait ended; a timeout stops the flow when the step says `on_timeout: "stop"`. */
export async function finishMilestone(
  db: Database,
  plan: RunPlan,
  index: number,
  reached: boolean,
  startedAt: Date,
  now: Date,
): Promise<MilestoneResult> {
  const step = plan.steps[index];
  if (step.type !== "milestone") throw new Error(`step ${index} of ${plan.progress_id} is not a milestone step`);
  const result: MilestoneResult = reached
    ? { outcome: "reached", stop_reason: null }
    : {
        outcome: "timed_out",
        reason: `milestone ${step.slug} not reached within ${step.timeout ?? MAX_WAIT_SECONDS} seconds`,
        stop_reason: step.on_timeout === "stop" ? "milestone_timeout" : null,
      };
  await recordStep(db, plan, index, result, startedAt, now);
  return result;
}

export interface BranchDecision {
  result: boolean;
  target: BranchTarget;
  /** The index of the step the flow goes to; `steps.length` ends the flow. */
  next_index: number;
  at: string;
}

/** Where a branch target leads from step `index`: an index into the steps, `steps.length` for the end. */
export function targetIndex(steps: OnboardingStep[], index: number, target: BranchTarget): number {
  if (target === "next") return index + 1;
  if (target === "end") return steps.length;
  const found = steps.findIndex((s) => s.id === target.step);
  // Flow validation allows forward jumps only; a target that is not ahead ends the flow rather than loop.
  return found > index ? found : steps.length;
}

/** Evaluates the branch's condition over the subscriber now, records the decision on the progress and in the history. */
export async function decideBranch(db: Database, plan: RunPlan, index: number, startedAt: Date, now: Date): Promise<BranchDecision> {
  const step = plan.steps[index];
  if (step.type !== "branch") throw new Error(`step ${index} of ${plan.progress_id} is not a branch step`);
  const subscriber = await db
    .select()
    .from(subscribers)
    .where(and(eq(subscribers.workspace_id, plan.workspace_id), eq(subscribers.id, plan.subscriber_id)))
    .get();
  let result = false;
  if (subscriber) {
    const [lists, events] = await Promise.all([
      db.select({ list_id: listMemberships.list_id }).from(listMemberships).where(eq(listMemberships.subscriber_id, subscriber.id)),
      db
        .select({ event_type: trackingEvents.event_type, occurred_at: trackingEvents.occurred_at })
        .from(trackingEvents)
        .where(and(eq(trackingEvents.workspace_id, plan.workspace_id), eq(trackingEvents.subscriber_id, subscriber.id))),
    ]);
    result = matchesFilter(step.condition, subscriber, { now, listIds: new Set(lists.map((l) => l.list_id)), events });
  }
  const target = result ? step.if_true : step.if_false;
  const decision: BranchDecision = { result, target, next_index: targetIndex(plan.steps, index, target), at: now.toISOString() };
  const stored = { result, target, at: decision.at };
  await db
    .update(userOnboardingProgress)
    .set({ decisions: sql`json_set(${userOnboardingProgress.decisions}, ${`$."${step.id}"`}, json(${JSON.stringify(stored)}))` })
    .where(eq(userOnboardingProgress.id, plan.progress_id));
  const reason = `${result ? "true" : "false"} → ${typeof target === "string" ? target : target.step}`;
  await recordStep(db, plan, index, { outcome: "branched", reason }, startedAt, now);
  return decision;
}

/** Ends the run (completed, or stopped with why) unless it already ended another way (cancelled, deleted). */
export async function finishRun(
  db: Database,
  progressId: string,
  ending: { status: "completed" } | { status: "stopped"; stop_reason: string },
  now: Date,
): Promise<void> {
  const iso = now.toISOString();
  await db
    .update(userOnboardingProgress)
    .set({
      status: ending.status,
      stop_reason: ending.status === "stopped" ? ending.stop_reason : null,
      completed_at: ending.status === "completed" ? iso : null,
      next_step_at: null,
      updated_at: iso,
    })
    .where(and(eq(userOnboardingProgress.id, progressId), eq(userOnboardingProgress.status, "active")));
}
