import type { Database } from "../../db/client";

/** Records the milestone for the subscriber and wakes every active flow of theirs waiting on it. `slug` is a milestone slug or a milestone step id. */
export async function reachMilestone(
  _deps: { db: Database; env: Env },
  _workspaceId: string,
  _subscriberId: string,
  _slug: string,
  _now: Date,
): Promise<{ woken: number }> {
  throw new Error("not merged yet");
}
