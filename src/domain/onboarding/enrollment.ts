import { and, eq } from "drizzle-orm";
import type { Database } from "../../db/client";
import { onboardingFlows, subscribers, userOnboardingProgress } from "../../db/schema";
import { newId } from "../../lib/ids";
import { conflict, invalidField, notFound } from "../errors";
import type { UserOnboardingProgress } from "./progress";

export interface EnrollInput {
  subscriber_id: string;
  /** `api`, or `rule:<rule id>`. */
  enrolled_by: string;
}

export interface EnrollResult {
  progress: UserOnboardingProgress;
  created: boolean;
}

/** What a Workflow instance of an onboarding flow is started with; its instance id is the progress id. */
export interface OnboardingRunParams {
  workspace_id: string;
  progress_id: string;
}

const activeProgress = (db: Database, flowId: string, subscriberId: string) =>
  db
    .select()
    .from(userOnboardingProgress)
    .where(
      and(
        eq(userOnboardingProgress.flow_id, flowId),
        eq(userOnboardingProgress.subscriber_id, subscriberId),
        eq(userOnboardingProgress.status, "active"),
      ),
    )
    .get();

/**
 * Starts `flow` (by id or slug) for the subscriber on the flow's latest version; if they are already active in it,
 * returns that progress with created=false. The partial unique index on active (flow, subscriber) makes concurrent
 * enrolls create one progress. Throws notFound for an unknown flow, conflict for an inactive one.
 */
export async function enrollSubscriber(
  deps: { db: Database; env: Env },
  workspaceId: string,
  flow: { flow_id: string } | { flow_slug: string },
  input: EnrollInput,
  now: Date,
): Promise<EnrollResult> {
  const { db, env } = deps;
  const found = await db
    .select()
    .from(onboardingFlows)
    .where(
      and(
        eq(onboardingFlows.workspace_id, workspaceId),
        "flow_id" in flow ? eq(onboardingFlows.id, flow.flow_id) : eq(onboardingFlows.slug, flow.flow_slug),
      ),
    )
    .get();
  if (!found) throw notFound("Onboarding flow");
  if (!found.is_active) throw conflict("The onboarding flow is not active; activate it to enroll users");
  const subscriber = await db
    .select({ id: subscribers.id })
    .from(subscribers)
    .where(and(eq(subscribers.workspace_id, workspaceId), eq(subscribers.id, input.subscriber_id)))
    .get();
  if (!subscriber) throw invalidField("body", "subscriber_id", "No such subscriber in this workspace");

  const existing = await activeProgress(db, found.id, subscriber.id);
  if (existing) return { progress: existing, created: false };

  const iso = now.toISOString();
  const id = newId("obp", now.getTime());
  let progress: UserOnboardingProgress;
  try {
    [progress] = await db
      .insert(userOnboardingProgress)
      .values({
        id,
        workspace_id: workspaceId,
        flow_id: found.id,
        flow_version: found.version,
        subscriber_id: subscriber.id,
        enrolled_by: input.enrolled_by,
        started_at: iso,
        updated_at: iso,
      })
      .returning();
  } catch (error) {
    // Another enroll of the same user won the unique index a moment ago: theirs is the one.
    const raced = await activeProgress(db, found.id, subscriber.id);
    if (raced) return { progress: raced, created: false };
    throw error;
  }

  try {
    const params: OnboardingRunParams = { workspace_id: workspaceId, progress_id: id };
    await env.ONBOARDING_WORKFLOW.create({ id, params });
  } catch (error) {
    // Without an instance nothing would ever run the progress: remove it so the user can be enrolled again.
    await db.delete(userOnboardingProgress).where(eq(userOnboardingProgress.id, id));
    throw error;
  }
  return { progress, created: true };
}
