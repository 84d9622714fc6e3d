import { sql } from "drizzle-orm";
import type { Database } from "../../db/client";
import { subscribers } from "../../db/schema";
import { findInWorkspace } from "../../lib/lookups";
import { decodeCursor, type Page, toPage } from "../../lib/pagination";
import { invalidField } from "../errors";

export const activityTypes = ["sent", "opened", "clicked", "bounced", "complained", "unsubscribed"] as const;
export type ActivityType = (typeof activityTypes)[number];

export interface ActivityItem {
  /** The recipient row for a send, else the event's own id. */
  id: string;
  type: ActivityType;
  campaign_id: string | null;
  recipient_id: string;
  occurred_at: string;
  url: string | null;
  traffic_class: "human" | "proxy" | "bot" | null;
  bounce_type: string | null;
  reason: string | null;
}

/** Newest first; the cursor is the last item's time and id, which order the page. */
const cursorKey = (item: ActivityItem) => `${item.occurred_at}|${item.id}`;

/**
 * One person's history: each send (the campaign recipients that reached a provider), their opens and clicks, and
 * the bounces, complaints and unsubscribes providers reported. Raw events older than the retention are gone, so
 * older opens and clicks no longer show; sends always do.
 */
export async function subscriberActivity(
  db: Database,
  workspaceId: string,
  subscriberId: string,
  limit: number,
  cursor: string | undefined,
): Promise<Page<ActivityItem>> {
  const subscriber = await findInWorkspace(db, subscribers, workspaceId, subscriberId, "Subscriber");
  const after = parseCursor(cursor);
  const recipientIds = sql`select id from campaign_recipients where workspace_id = ${workspaceId} and subscriber_id = ${subscriber.id}`;
  const rows = await db.all<ActivityItem>(sql`
    select * from (
      select id, 'sent' as type, campaign_id, id as recipient_id, sent_at as occurred_at,
        null as url, null as traffic_class, null as bounce_type, null as reason
      from campaign_recipients where workspace_id = ${workspaceId} and subscriber_id = ${subscriber.id} and sent_at is not null
      union all
      select id, case event_type when 'open' then 'opened' else 'clicked' end, campaign_id, recipient_id, occurred_at,
        url, traffic_class, null, null
      from tracking_events where recipient_id in (${recipientIds}) and event_type in ('open', 'click')
      union all
      select id, case event_type when 'bounce' then 'bounced' when 'complaint' then 'complained' else 'unsubscribed' end,
        campaign_id, recipient_id, occurred_at, null, null, bounce_type, reason
      from provider_event_logs where recipient_id in (${recipientIds}) and event_type in ('bounce', 'complaint', 'unsubscribe')
    )
    ${after ? sql`where (occurred_at, id) < (${after.occurred_at}, ${after.id})` : sql``}
    order by occurred_at desc, id desc
    limit ${limit + 1}`);
  return toPage(rows, limit, cursorKey);
}

function parseCursor(cursor: string | undefined) {
  const key = decodeCursor(cursor);
  if (key === undefined) return undefined;
  const separator = key.indexOf("|");
  if (separator < 1) throw invalidField("query", "cursor", "cursor is not one this API issued");
  return { occurred_at: key.slice(0, separator), id: key.slice(separator + 1) };
}
