import { type SQL, sql } from "drizzle-orm";
import type { Database } from "../../db/client";
import { type EmailCampaign, emailCampaigns } from "../../db/schema";
import { getCampaign } from "../campaigns/campaigns";
import { localDateTime } from "../warming/local-day";
import { hourOf, watermarkSql } from "./rollup";

/**
 * Every figure here is the rollups (events received before the watermark) plus the raw events received from the
 * watermark on, read in one statement so both halves see the same watermark.
 */

type TrafficClass = "human" | "proxy" | "bot";

export interface HourlyRow {
  campaign_id: string;
  hour: string;
  event_type: string;
  traffic_class: TrafficClass | "provider";
  count: number;
  unique_count: number;
  human_unique_count: number;
}

/**
 * Hourly rows of the campaigns `campaignIds` selects (a subquery), rollups and raw tail together, optionally only
 * the hours in [from, to) (bounds on hour starts, so rollups and raw events are cut at the same places).
 */
async function hourlyRows(db: Database, campaignIds: SQL, hours: { from?: string; to?: string } = {}): Promise<HourlyRow[]> {
  const rollupHours = sql`${hours.from ? sql`and hour >= ${hours.from}` : sql``} ${hours.to ? sql`and hour < ${hours.to}` : sql``}`;
  const rawHours = (column: string) =>
    sql`${hours.from ? sql`and ${hourOf(column)} >= ${hours.from}` : sql``} ${hours.to ? sql`and ${hourOf(column)} < ${hours.to}` : sql``}`;
  return db.all<HourlyRow>(sql`
    select campaign_id, hour, event_type, traffic_class,
      sum(count) as count, sum(unique_count) as unique_count, sum(human_unique_count) as human_unique_count
    from (
      select campaign_id, hour, event_type, traffic_class, count, unique_count, human_unique_count
      from campaign_hourly_stats where campaign_id in (${campaignIds}) ${rollupHours}
      union all
      select campaign_id, ${hourOf("occurred_at")}, event_type, traffic_class, 1, first_of_kind, first_human_of_kind
      from tracking_events where campaign_id in (${campaignIds}) and received_at >= ${watermarkSql} ${rawHours("occurred_at")}
      union all
      select campaign_id, ${hourOf("occurred_at")}, event_type, 'provider', 1, 1, 0
      from provider_event_logs where campaign_id in (${campaignIds}) and received_at >= ${watermarkSql} ${rawHours("occurred_at")}
    )
    group by campaign_id, hour, event_type, traffic_class
    order by hour`);
}

export interface ClassCounts {
  total: number;
  human: number;
  proxy: number;
  bot: number;
}

export interface HumanAndTotal {
  total: number;
  human: number;
}

export interface EventTotals {
  delivered: number;
  bounced: number;
  complained: number;
  unsubscribed: number;
  opens: ClassCounts;
  unique_opens: HumanAndTotal;
  clicks: ClassCounts;
  unique_clicks: HumanAndTotal;
}

const emptyClassCounts = (): ClassCounts => ({ total: 0, human: 0, proxy: 0, bot: 0 });

export const emptyTotals = (): EventTotals => ({
  delivered: 0,
  bounced: 0,
  complained: 0,
  unsubscribed: 0,
  opens: emptyClassCounts(),
  unique_opens: { total: 0, human: 0 },
  clicks: emptyClassCounts(),
  unique_clicks: { total: 0, human: 0 },
});

const providerCounters = { delivery: "delivered", bounce: "bounced", complaint: "complained", unsubscribe: "unsubscribed" } as const;

/**
 * Adds hourly rows into totals. Opens and clicks count from Flarecast's own tracking only: providers that track
 * opens too report the same opens again.
 */
export function addRows(totals: EventTotals, rows: HourlyRow[]): EventTotals {
  for (const row of rows) {
    if (row.traffic_class === "provider") {
      const counter = providerCounters[row.event_type as keyof typeof providerCounters];
      if (counter) totals[counter] += row.count;
      continue;
    }
    const kind = row.event_type === "open" ? "open" : row.event_type === "click" ? "click" : null;
    if (!kind) continue;
    const counts = kind === "open" ? totals.opens : totals.clicks;
    const uniques = kind === "open" ? totals.unique_opens : totals.unique_clicks;
    counts.total += row.count;
    counts[row.traffic_class] += row.count;
    uniques.total += row.unique_count;
    uniques.human += row.human_unique_count;
  }
  return totals;
}

const ratio = (part: number, whole: number) => (whole > 0 ? Math.round((part / whole) * 10_000) / 10_000 : null);

export interface Sends {
  recipients: number;
  sent: number;
  failed: number;
  unknown: number;
}

/** What opens, clicks, complaints and unsubscribes are rated over; see ratesOf. */
const reachedOf = (sends: Sends, totals: EventTotals) => (totals.delivered > 0 ? totals.delivered : sends.sent);

/**
 * Rates as fractions (0.25 = 25 %), null when the denominator is zero. Opens, clicks, complaints and unsubscribes
 * are over delivered messages, or over sent ones while no provider has reported a delivery (capture, SMTP and
 * providers without delivery webhooks never do).
 */
export function ratesOf(sends: Sends, totals: EventTotals, reached = reachedOf(sends, totals)) {
  return {
    delivery: ratio(totals.delivered, sends.sent),
    open: { total: ratio(totals.unique_opens.total, reached), human: ratio(totals.unique_opens.human, reached) },
    click: { total: ratio(totals.unique_clicks.total, reached), human: ratio(totals.unique_clicks.human, reached) },
    click_to_open: {
      total: ratio(totals.unique_clicks.total, totals.unique_opens.total),
      human: ratio(totals.unique_clicks.human, totals.unique_opens.human),
    },
    bounce: ratio(totals.bounced, sends.sent),
    complaint: ratio(totals.complained, reached),
    unsubscribe: ratio(totals.unsubscribed, reached),
  };
}

const sendsOf = (campaign: EmailCampaign): Sends => ({
  recipients: campaign.total_recipients,
  sent: campaign.sent_count,
  failed: campaign.failed_count,
  unknown: campaign.unknown_count,
});

const oneCampaign = (campaignId: string) => sql`select ${campaignId}`;

export async function campaignStats(db: Database, workspaceId: string, campaignId: string) {
  const campaign = await getCampaign(db, workspaceId, campaignId);
  const totals = addRows(emptyTotals(), await hourlyRows(db, oneCampaign(campaign.id)));
  const sends = sendsOf(campaign);
  return { campaign_id: campaign.id, ...sends, ...totals, rates: ratesOf(sends, totals) };
}

export type TimelineInterval = "hour" | "day";

export interface TimelineBucket extends EventTotals {
  /** The bucket's start, UTC. */
  start: string;
  /** The same instant on the workspace's wall clock, "2026-03-29T00:00" (no offset). */
  local_start: string;
}

/**
 * Opens, clicks and provider events per hour or per local day of the workspace's timezone, oldest first, only
 * buckets that have events. Rollups are UTC hours, so an hour belongs to the local day its start falls on (exact
 * for every timezone whose offset is whole hours, across DST changes too); hour buckets are UTC hours shown at
 * their local start. `from`/`to` keep the hours starting in [from, to).
 */
export async function campaignTimeline(
  db: Database,
  workspace: { id: string; timezone: string },
  campaignId: string,
  interval: TimelineInterval,
  range: { from?: string; to?: string },
): Promise<TimelineBucket[]> {
  const campaign = await getCampaign(db, workspace.id, campaignId);
  const rows = await hourlyRows(db, oneCampaign(campaign.id), hourRange(range));
  const buckets = new Map<string, TimelineBucket>();
  for (const row of rows) {
    const hourStart = new Date(row.hour);
    const local = localDateTime(hourStart, workspace.timezone);
    // Hour buckets are keyed by their UTC hour: when clocks go back, one local hour happens twice.
    const key = interval === "hour" ? row.hour : local.slice(0, 10);
    let bucket = buckets.get(key);
    if (!bucket) {
      bucket =
        interval === "hour"
          ? { start: row.hour, local_start: local, ...emptyTotals() }
          : { start: firstHourOfDay(key, workspace.timezone), local_start: `${key}T00:00`, ...emptyTotals() };
      buckets.set(key, bucket);
    }
    addRows(bucket, [row]);
  }
  return [...buckets.values()].sort((a, b) => a.start.localeCompare(b.start));
}

/**
 * The start of the first UTC hour that begins on a local date: its midnight wherever the offset is whole hours
 * (or the first hour after a daylight-saving gap at midnight).
 */
function firstHourOfDay(date: string, timeZone: string): string {
  const guess = Date.parse(`${date}T00:00:00Z`);
  // Offsets lie within ±14 h: walk whole hours from the earliest possible instant to the first on this local date.
  for (let hour = -14; hour <= 14; hour += 1) {
    const instant = new Date(guess + hour * 3_600_000);
    if (localDateTime(instant, timeZone).slice(0, 10) === date) return instant.toISOString();
  }
  return new Date(guess).toISOString();
}

/** Range bounds as hour starts, rounded down: rollups cannot be cut inside an hour, so raw events are not either. */
export function hourRange(range: { from?: string; to?: string }) {
  const floor = (value: string | undefined) =>
    value === undefined ? undefined : new Date(Math.floor(Date.parse(value) / 3_600_000) * 3_600_000).toISOString();
  return { from: floor(range.from), to: floor(range.to) };
}

export interface LinkStats {
  url: string;
  clicks: number;
  unique_clickers: number;
  human_clicks: number;
  human_unique_clickers: number;
}

export async function campaignLinks(db: Database, workspaceId: string, campaignId: string): Promise<LinkStats[]> {
  const campaign = await getCampaign(db, workspaceId, campaignId);
  return db.all<LinkStats>(sql`
    select url, sum(clicks) as clicks, sum(unique_clickers) as unique_clickers,
      sum(human_clicks) as human_clicks, sum(human_unique_clickers) as human_unique_clickers
    from (
      select url, clicks, unique_clickers, human_clicks, human_unique_clickers from campaign_link_stats where campaign_id = ${campaign.id}
      union all
      select url, 1, first_for_link, traffic_class = 'human', first_human_for_link
      from tracking_events
      where campaign_id = ${campaign.id} and event_type = 'click' and url is not null and received_at >= ${watermarkSql}
    )
    group by url
    order by clicks desc, url`);
}

export interface DeviceStats {
  event_type: "open" | "click";
  traffic_class: TrafficClass;
  device_type: string;
  os: string;
  email_client: string;
  count: number;
}

export async function campaignDevices(db: Database, workspaceId: string, campaignId: string): Promise<DeviceStats[]> {
  const campaign = await getCampaign(db, workspaceId, campaignId);
  return db.all<DeviceStats>(sql`
    select event_type, traffic_class, device_type, os, email_client, sum(count) as count
    from (
      select event_type, traffic_class, device_type, os, email_client, count from campaign_device_stats where campaign_id = ${campaign.id}
      union all
      select event_type, traffic_class, coalesce(device_type, 'unknown'), coalesce(os, 'unknown'), coalesce(email_client, 'unknown'), 1
      from tracking_events where campaign_id = ${campaign.id} and received_at >= ${watermarkSql}
    )
    group by event_type, traffic_class, device_type, os, email_client
    order by count desc, event_type, traffic_class, device_type, os, email_client`);
}

export const TOP_CAMPAIGNS = 5;

/**
 * The campaigns started in [from, to) and their whole stats: totals, rates, and the most opened ones (by human
 * unique opens). Scoping by when a campaign started keeps a campaign's numbers whole, as marketers read them.
 */
export async function workspaceOverview(db: Database, workspaceId: string, range: { from: string; to: string }) {
  const campaigns = await db
    .select()
    .from(emailCampaigns)
    .where(
      sql`${emailCampaigns.workspace_id} = ${workspaceId} and ${emailCampaigns.started_at} >= ${range.from} and ${emailCampaigns.started_at} < ${range.to}`,
    );
  const ids = sql`select id from email_campaigns where workspace_id = ${workspaceId} and started_at >= ${range.from} and started_at < ${range.to}`;
  const rows = campaigns.length > 0 ? await hourlyRows(db, ids) : [];
  const perCampaign = new Map(campaigns.map((campaign) => [campaign.id, emptyTotals()]));
  for (const row of rows) {
    const totals = perCampaign.get(row.campaign_id);
    if (totals) addRows(totals, [row]);
  }
  const sends: Sends = { recipients: 0, sent: 0, failed: 0, unknown: 0 };
  // Summed campaign by campaign: one campaign's provider reporting deliveries must not rate another's opens.
  let reached = 0;
  for (const campaign of campaigns) {
    const own = sendsOf(campaign);
    sends.recipients += own.recipients;
    sends.sent += own.sent;
    sends.failed += own.failed;
    sends.unknown += own.unknown;
    reached += reachedOf(own, perCampaign.get(campaign.id) ?? emptyTotals());
  }
  const totals = addRows(emptyTotals(), rows);
  const top = campaigns
    .map((campaign) => {
      const own = perCampaign.get(campaign.id) ?? emptyTotals();
      return {
        campaign_id: campaign.id,
        name: campaign.name,
        started_at: campaign.started_at,
        ...sendsOf(campaign),
        ...own,
        rates: ratesOf(sendsOf(campaign), own),
      };
    })
    .sort(
      (a, b) =>
        b.unique_opens.human - a.unique_opens.human ||
        b.unique_opens.total - a.unique_opens.total ||
        a.campaign_id.localeCompare(b.campaign_id),
    )
    .slice(0, TOP_CAMPAIGNS);
  return {
    from: range.from,
    to: range.to,
    campaigns: campaigns.length,
    ...sends,
    ...totals,
    rates: ratesOf(sends, totals, reached),
    top_campaigns: top,
  };
}
