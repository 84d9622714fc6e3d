import { and, asc, count, eq, gt, sql } from "drizzle-orm";
import type { Database } from "../../db/client";
import { type CampaignRun, campaignRecipients, campaignRuns, type EmailCampaign, emailCampaigns, subscribers } from "../../db/schema";
import { newId } from "../../lib/ids";
import { isValidTimeZone } from "../../lib/timezones";
import type { AudienceFilter } from "../audience/segments";
import { audienceCondition } from "../audience/segments";
import { decideDeliveries } from "./delivery-decision";
import { recipientTimeZone } from "./send-window";

/** Subscribers read per fan-out step: one page of reads, decisions and inserts, whatever the list's size. */
export const FANOUT_PAGE_SIZE = 500;

export interface FanoutStep {
  /** The last subscriber id walked; the next step starts after it. */
  cursor: string | null;
  written: number;
  skipped: number;
  done: boolean;
}

type RecipientRow = Pick<
  typeof campaignRecipients.$inferInsert,
  | "id"
  | "workspace_id"
  | "campaign_id"
  | "run_id"
  | "subscriber_id"
  | "email"
  | "recipient_name"
  | "status"
  | "failure_reason"
  | "failure_detail"
  | "send_timezone"
>;

/**
 * One statement for a whole page: the rows travel as one JSON parameter (D1 binds at most 100 parameters, which
 * a row-per-parameter insert of this wide table would exhaust every three rows). A row written by an earlier,
 * interrupted step is left as it is.
 */
async function insertRecipients(db: Database, rows: RecipientRow[], at: string): Promise<void> {
  const field = (name: keyof RecipientRow) => sql.raw(`json_extract(value, '$.${name}')`);
  await db.run(sql`
    insert into campaign_recipients
      (id, workspace_id, campaign_id, run_id, subscriber_id, email, recipient_name, status, failure_reason, failure_detail, send_timezone, created_at, updated_at)
    select ${field("id")}, ${field("workspace_id")}, ${field("campaign_id")}, ${field("run_id")}, ${field("subscriber_id")}, ${field("email")},
      ${field("recipient_name")}, ${field("status")}, ${field("failure_reason")}, ${field("failure_detail")}, ${field("send_timezone")}, ${at}, ${at}
    from json_each(${JSON.stringify(rows)}) where true
    on conflict (campaign_id, run_id, email) do nothing`);
}

function subscriberTimeZone(attributes: Record<string, unknown>): string | null {
  const zone = attributes.timezone;
  return typeof zone === "string" && isValidTimeZone(zone) ? zone : null;
}

/**
 * Walks one page of the run's audience after `cursor` (keyset on subscriber id, so memory stays constant and a
 * restarted walk continues where it stopped), decides each subscriber's delivery and writes one recipient row
 * each: `pending`, or `failed` with the skip reason. Rows already written by an interrupted step are kept.
 */
export async function fanOutPage(
  db: Database,
  campaign: EmailCampaign,
  run: CampaignRun,
  workspaceTimeZone: string,
  cursor: string | null,
  now: Date,
  pageSize = FANOUT_PAGE_SIZE,
): Promise<FanoutStep> {
  const audience = audienceCondition(
    { workspaceId: campaign.workspace_id, now },
    campaign.list_id,
    campaign.audience_filters as AudienceFilter | null,
  );
  const page = await db
    .select()
    .from(subscribers)
    .where(cursor ? and(audience, gt(subscribers.id, cursor)) : audience)
    .orderBy(asc(subscribers.id))
    .limit(pageSize);
  const decisions = await decideDeliveries(db, campaign, page, now);
  let skipped = 0;
  const rows = page.map((subscriber): RecipientRow => {
    const decision = decisions.get(subscriber.id) ?? { send: true as const };
    if (!decision.send) skipped++;
    return {
      id: newId("rcp"),
      workspace_id: campaign.workspace_id,
      campaign_id: campaign.id,
      run_id: run.id,
      subscriber_id: subscriber.id,
      email: subscriber.email,
      recipient_name: subscriber.name,
      status: decision.send ? ("pending" as const) : ("failed" as const),
      failure_reason: decision.send ? null : decision.reason,
      failure_detail: decision.send ? null : (decision.detail ?? null),
      send_timezone: recipientTimeZone(campaign.send_window, subscriberTimeZone(subscriber.attributes), workspaceTimeZone),
    };
  });
  if (rows.length > 0) await insertRecipients(db, rows, now.toISOString());
  const last = page.at(-1);
  return { cursor: last ? last.id : cursor, written: rows.length, skipped, done: page.length < pageSize };
}

/** Ends the fan-out: the run's recipient total is now known and final. */
export async function completeFanout(db: Database, run: CampaignRun, now: Date): Promise<number> {
  const [{ total }] = await db.select({ total: count() }).from(campaignRecipients).where(eq(campaignRecipients.run_id, run.id));
  await db.batch([
    db.update(campaignRuns).set({ fanout_completed_at: now.toISOString(), total_recipients: total }).where(eq(campaignRuns.id, run.id)),
    db
      .update(emailCampaigns)
      .set({
        total_recipients: sql`(select coalesce(sum(total_recipients), 0) from campaign_runs where campaign_id = ${run.campaign_id})`,
      })
      .where(eq(emailCampaigns.id, run.campaign_id)),
  ]);
  return total;
}
