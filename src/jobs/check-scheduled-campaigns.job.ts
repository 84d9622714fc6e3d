import { and, asc, eq, isNotNull, lte } from "drizzle-orm";
import type { Database } from "../db/client";
import { emailCampaigns } from "../db/schema";
import { startRun, wakeDispatcher } from "../domain/campaigns/lifecycle";
import { ConflictError, DomainError } from "../domain/errors";
import { CRON, type Job } from "./job";

/** Enough for one minute's work; anything left over is due at the next minute and starts then. */
const MAX_STARTS_PER_RUN = 100;

async function stillScheduled(db: Database, id: string): Promise<boolean> {
  const row = await db.select({ status: emailCampaigns.status }).from(emailCampaigns).where(eq(emailCampaigns.id, id)).get();
  return row?.status === "scheduled";
}

/**
 * Wakes the dispatcher of every sending run. A dispatcher keeps itself going with alarms, so this is a safety net:
 * a run whose wake was lost (the request that started it failed after writing the run) still goes on.
 */
async function wakeSendingRuns(db: Database, env: Env): Promise<number> {
  const sending = await db
    .select({ run_id: emailCampaigns.current_run_id })
    .from(emailCampaigns)
    .where(and(eq(emailCampaigns.status, "sending"), isNotNull(emailCampaigns.current_run_id)));
  const results = await Promise.allSettled(sending.map(({ run_id }) => wakeDispatcher(env, run_id as string)));
  for (const result of results) if (result.status === "rejected") console.error("check_scheduled_campaigns: a wake failed", result.reason);
  return results.filter((r) => r.status === "fulfilled").length;
}

export const checkScheduledCampaigns: Job = {
  name: "check_scheduled_campaigns",
  description: "Start every scheduled campaign whose time has come (one-time campaigns and the next run of recurring ones)",
  cron: CRON.everyMinute,
  async run({ db, env, now }) {
    const due = await db
      .select()
      .from(emailCampaigns)
      .where(and(eq(emailCampaigns.status, "scheduled"), lte(emailCampaigns.scheduled_at, now.toISOString())))
      .orderBy(asc(emailCampaigns.scheduled_at))
      .limit(MAX_STARTS_PER_RUN);
    const started: string[] = [];
    const failed: { campaign_id: string; reason: string }[] = [];
    for (const campaign of due) {
      try {
        const run = await startRun(db, env, campaign, now);
        started.push(run.id);
      } catch (error) {
        // Started meanwhile by a send or another run of this job: the conditional update let only one through.
        if (error instanceof ConflictError && !(await stillScheduled(db, campaign.id))) continue;
        if (!(error instanceof DomainError)) throw error;
        // A campaign that cannot send (its template or route is gone) stays scheduled and is reported until fixed.
        failed.push({ campaign_id: campaign.id, reason: error.message });
      }
    }
    return { due: due.length, started: started.length, run_ids: started, failed, woken: await wakeSendingRuns(db, env) };
  },
};
