import type { Database } from "../../db/client";
import type { userOnboardingProgress } from "../../db/schema";

export type UserOnboardingProgress = typeof userOnboardingProgress.$inferSelect;

export interface EnrollInput {
  subscriber_id: string;
  enrolled_by: string /* "api" | `rule:${ruleId}` */;
}

export interface EnrollResult {
  progress: UserOnboardingProgress;
  created: boolean;
}

/** Starts `flow` (by id or slug) for the subscriber; if they are already active in it, returns that progress with created=false. */
export async function enrollSubscriber(
  _deps: { db: Database; env: Env },
  _workspaceId: string,
  _flow: { flow_id: string } | { flow_slug: string },
  _input: EnrollInput,
  _now: Date,
): Promise<EnrollResult> {
  throw new Error("not merged yet");
}
