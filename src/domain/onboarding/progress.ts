import { and, asc, desc, eq, inArray } from "drizzle-orm";
import type { Database } from "../../db/client";
import { onboardingFlows, onboardingProgressSteps, subscribers, userOnboardingProgress } from "../../db/schema";
import { conflict, notFound } from "../errors";

export type UserOnboardingProgress = typeof userOnboardingProgress.$inferSelect;
export type OnboardingProgressStep = typeof onboardingProgressSteps.$inferSelect;

export interface ProgressWithHistory extends UserOnboardingProgress {
  flow_slug: string;
  /** The steps passed so far, in order, each once with its outcome. */
  history: OnboardingProgressStep[];
}

async function withHistory(db: Database, rows: (UserOnboardingProgress & { flow_slug: string })[]): Promise<ProgressWithHistory[]> {
  if (rows.length === 0) return [];
  const steps = await db
    .select()
    .from(onboardingProgressSteps)
    .where(
      inArray(
        onboardingProgressSteps.progress_id,
        rows.map((r) => r.id),
      ),
    )
    .orderBy(asc(onboardingProgressSteps.progress_id), asc(onboardingProgressSteps.step_index));
  return rows.map((row) => ({ ...row, history: steps.filter((s) => s.progress_id === row.id) }));
}

const progressColumns = { progress: userOnboardingProgress, flow_slug: onboardingFlows.slug };

export async function getProgress(db: Database, workspaceId: string, progressId: string): Promise<ProgressWithHistory> {
  const row = await db
    .select(progressColumns)
    .from(userOnboardingProgress)
    .innerJoin(onboardingFlows, eq(onboardingFlows.id, userOnboardingProgress.flow_id))
    .where(and(eq(userOnboardingProgress.workspace_id, workspaceId), eq(userOnboardingProgress.id, progressId)))
    .get();
  if (!row) throw notFound("Onboarding progress");
  const [found] = await withHistory(db, [{ ...row.progress, flow_slug: row.flow_slug }]);
  return found;
}

/** Every flow the subscriber is or was in, newest first, with each one's step history. */
export async function listSubscriberProgress(db: Database, workspaceId: string, subscriberId: string): Promise<ProgressWithHistory[]> {
  const subscriber = await db
    .select({ id: subscribers.id })
    .from(subscribers)
    .where(and(eq(subscribers.workspace_id, workspaceId), eq(subscribers.id, subscriberId)))
    .get();
  if (!subscriber) throw notFound("Subscriber");
  const rows = await db
    .select(progressColumns)
    .from(userOnboardingProgress)
    .innerJoin(onboardingFlows, eq(onboardingFlows.id, userOnboardingProgress.flow_id))
    .where(and(eq(userOnboardingProgress.workspace_id, workspaceId), eq(userOnboardingProgress.subscriber_id, subscriberId)))
    .orderBy(desc(userOnboardingProgress.id));
  return withHistory(
    db,
    rows.map((r) => ({ ...r.progress, flow_slug: r.flow_slug })),
  );
}

/** Instances ended by one call; the others end at their next step, when they find their run is not active. */
export const MAX_TERMINATED_AT_ONCE = 1000;
const TERMINATIONS_IN_PARALLEL = 25;

/**
 * Ends the Workflow instances of these progresses (instance id = progress id), best effort: an instance that is
 * already gone, or cannot be reached now, also ends at its next step when it finds its progress no longer active.
 */
export async function terminateInstances(env: Env, progressIds: string[]): Promise<void> {
  const ids = progressIds.slice(0, MAX_TERMINATED_AT_ONCE);
  for (let i = 0; i < ids.length; i += TERMINATIONS_IN_PARALLEL) {
    const part = ids.slice(i, i + TERMINATIONS_IN_PARALLEL);
    const outcomes = await Promise.allSettled(part.map(async (id) => (await env.ONBOARDING_WORKFLOW.get(id)).terminate()));
    outcomes.forEach((outcome, k) => {
      if (outcome.status === "rejected") {
        console.warn(`onboarding ${part[k]}: terminating the workflow instance failed: ${(outcome.reason as Error)?.message}`);
      }
    });
  }
}

/**
 * Cancels an active run: the progress ends `cancelled` at once and its Workflow instance is terminated. Terminating
 * is best effort: an instance that misses it still ends at its next step, which finds the progress not active.
 */
export async function cancelProgress(
  deps: { db: Database; env: Env },
  workspaceId: string,
  progressId: string,
  now: Date,
): Promise<ProgressWithHistory> {
  const { db, env } = deps;
  const current = await getProgress(db, workspaceId, progressId);
  if (current.status !== "active") throw conflict(`The onboarding progress is ${current.status}; only an active one can be cancelled`);
  const iso = now.toISOString();
  const cancelled = await db
    .update(userOnboardingProgress)
    .set({ status: "cancelled", stop_reason: "cancelled_by_api", next_step_at: null, updated_at: iso })
    .where(and(eq(userOnboardingProgress.id, progressId), eq(userOnboardingProgress.status, "active")))
    .returning({ id: userOnboardingProgress.id });
  if (cancelled.length === 0) throw conflict("The onboarding progress ended before it could be cancelled");
  await terminateInstances(env, [progressId]);
  return getProgress(db, workspaceId, progressId);
}
