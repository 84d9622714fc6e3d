import { and, eq } from "drizzle-orm";
import type { Database } from "../../db/client";
import { onboardingFlowVersions, subscriberMilestones, userOnboardingProgress } from "../../db/schema";
import { milestoneEventType } from "./flow-run";

/**
 * Records the milestone for the subscriber and wakes every active flow of theirs waiting on it. `slug` is a milestone
 * slug or a milestone step id. A flow whose milestone step is still ahead is sent the event too: Workflows keep an
 * event sent before the instance waits for it, and the flow also finds the milestone in `subscriber_milestones`
 * when it gets there. Returns how many flows were sent the event.
 */
export async function reachMilestone(
  deps: { db: Database; env: Env },
  workspaceId: string,
  subscriberId: string,
  slug: string,
  now: Date,
): Promise<{ woken: number }> {
  const { db, env } = deps;
  const at = now.toISOString();
  const active = await db
    .select({
      id: userOnboardingProgress.id,
      current_step: userOnboardingProgress.current_step,
      steps: onboardingFlowVersions.steps,
    })
    .from(userOnboardingProgress)
    .innerJoin(
      onboardingFlowVersions,
      and(
        eq(onboardingFlowVersions.flow_id, userOnboardingProgress.flow_id),
        eq(onboardingFlowVersions.version, userOnboardingProgress.flow_version),
      ),
    )
    .where(
      and(
        eq(userOnboardingProgress.workspace_id, workspaceId),
        eq(userOnboardingProgress.subscriber_id, subscriberId),
        eq(userOnboardingProgress.status, "active"),
      ),
    );

  const waiting: { progressId: string; slug: string }[] = [];
  const slugs = new Set([slug]);
  for (const progress of active) {
    progress.steps.forEach((step, index) => {
      if (step.type !== "milestone" || (step.slug !== slug && step.id !== slug)) return;
      slugs.add(step.slug);
      if (index >= progress.current_step) waiting.push({ progressId: progress.id, slug: step.slug });
    });
  }
  await db
    .insert(subscriberMilestones)
    .values([...slugs].map((s) => ({ workspace_id: workspaceId, subscriber_id: subscriberId, slug: s, reached_at: at })))
    .onConflictDoNothing();

  let woken = 0;
  for (const { progressId, slug: reached } of waiting) {
    try {
      const instance = await env.ONBOARDING_WORKFLOW.get(progressId);
      await instance.sendEvent({ type: milestoneEventType(reached), payload: { slug: reached, at } });
      woken++;
    } catch (error) {
      // The instance is gone (terminated, or never started): the milestone is recorded, which is all a later run needs.
      console.warn(`onboarding ${progressId}: sending milestone ${reached} failed: ${(error as Error).message}`);
    }
  }
  return { woken };
}
