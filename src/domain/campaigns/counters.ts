import { eq, inArray, sql } from "drizzle-orm";
import type { Database } from "../../db/client";
import { campaignRecipients, campaignRuns, emailCampaigns } from "../../db/schema";
import type { recipientStatuses } from "../../db/schema/enums";

type RecipientStatus = (typeof recipientStatuses)[number];

/** Statuses a recipient reaches only after the provider accepted its message. */
export const SENT_STATUSES = [
  "sent",
  "delivered",
  "opened",
  "clicked",
  "bounced",
  "complained",
  "unsubscribed",
] as const satisfies RecipientStatus[];

/** Statuses that end a recipient's sending: a run is finished when all its recipients have one. */
export const TERMINAL_STATUSES = [...SENT_STATUSES, "failed", "unknown"] as const satisfies RecipientStatus[];

export interface CounterDelta {
  sent: number;
  failed: number;
  unknown: number;
}

export const noChange = (): CounterDelta => ({ sent: 0, failed: 0, unknown: 0 });

const inList = (values: readonly string[]) => sql.raw(values.map((v) => `'${v}'`).join(", "));

/**
 * Adds a batch's outcomes to its run and campaign in one write each, rather than one write per recipient.
 * Counters are a running view; `recountRun` makes them exact when the run finishes.
 */
export function addToCounters(db: Database, campaignId: string, runId: string | null, delta: CounterDelta) {
  const bump = <T extends typeof campaignRuns | typeof emailCampaigns>(t: T) => ({
    sent_count: sql`${t.sent_count} + ${delta.sent}`,
    failed_count: sql`${t.failed_count} + ${delta.failed}`,
    unknown_count: sql`${t.unknown_count} + ${delta.unknown}`,
  });
  const campaignUpdate = db.update(emailCampaigns).set(bump(emailCampaigns)).where(eq(emailCampaigns.id, campaignId));
  return runId ? [campaignUpdate, db.update(campaignRuns).set(bump(campaignRuns)).where(eq(campaignRuns.id, runId))] : [campaignUpdate];
}

/** Counts the run's recipients by outcome and stores the exact figures on the run, then sums its campaign's runs. */
export async function recountRun(db: Database, campaignId: string, runId: string): Promise<void> {
  const tally = (statuses: readonly string[]) =>
    sql<number>`(select count(*) from ${campaignRecipients} where ${campaignRecipients.run_id} = ${runId} and ${campaignRecipients.status} in (${inList(statuses)}))`;
  const triggered = (statuses: readonly string[]) =>
    sql<number>`(select count(*) from ${campaignRecipients} where ${campaignRecipients.campaign_id} = ${campaignId} and ${campaignRecipients.run_id} is null and ${campaignRecipients.status} in (${inList(statuses)}))`;
  const sumOfRuns = (column: "sent_count" | "failed_count" | "unknown_count") =>
    sql<number>`(select coalesce(sum(${sql.raw(column)}), 0) from campaign_runs where campaign_id = ${campaignId})`;
  await db.batch([
    db
      .update(campaignRuns)
      .set({ sent_count: tally(SENT_STATUSES), failed_count: tally(["failed"]), unknown_count: tally(["unknown"]) })
      .where(eq(campaignRuns.id, runId)),
    db
      .update(emailCampaigns)
      .set({
        sent_count: sql`${sumOfRuns("sent_count")} + ${triggered(SENT_STATUSES)}`,
        failed_count: sql`${sumOfRuns("failed_count")} + ${triggered(["failed"])}`,
        unknown_count: sql`${sumOfRuns("unknown_count")} + ${triggered(["unknown"])}`,
      })
      .where(eq(emailCampaigns.id, campaignId)),
  ]);
}

/**
 * Recounts every unfinished run. Per-batch increments keep counters current cheaply; this makes them exact even if
 * something (an operator's SQL, a failure between writes) moved a recipient without its counter.
 */
export async function refreshRunCounters(db: Database): Promise<{ runs: number }> {
  const open = await db
    .select({ id: campaignRuns.id, campaign_id: campaignRuns.campaign_id })
    .from(campaignRuns)
    .where(inArray(campaignRuns.status, ["sending", "paused"]));
  for (const run of open) await recountRun(db, run.campaign_id, run.id);
  return { runs: open.length };
}
