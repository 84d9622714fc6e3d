/**
 * The event cascade: what opens, clicks and provider reports change. A batch costs three D1 round trips in the
 * common case (docs/event-cascade.md): one batch of reads, one batch of inserts that tells which events are new
 * (a redelivered event inserts nothing and so changes nothing), and one batch of every update the new events cause.
 */
import { and, eq, getTableColumns, getTableName, gte, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Database } from "../../db/client";
import { campaignRecipients, emailCampaigns, providerEventLogs, trackingEvents, workspaces } from "../../db/schema";
import { newId } from "../../lib/ids";
import { inJsonList } from "../../lib/sql-lists";
import { addToCounters, type CounterDelta, SENT_STATUSES } from "../campaigns/counters";
import { type DeliveryOutcome, deliveryOutcomeStatements } from "../reputation/isp-metrics";
import { refreshTargetHealth } from "../reputation/target-health";
import { describeUserAgent } from "../tracking/user-agent";
import { type WarmingOutcome, warmingOutcomeStatements } from "../warming/progress";
import { queueOutgoingWebhooks } from "../webhooks-out/dispatch";
import type { OutgoingEvent, OutgoingEventType } from "../webhooks-out/outgoing-event";
import { burstClickIds } from "./burst";
import { complaintGuardStatements } from "./complaint-guard";
import type { EventMessage, ProviderEvent, TrackingHit } from "./event-messages";
import { higherStatus, type RecipientStatus, STATUS_RANK, statusRankSql } from "./recipient-status";
import { type SubscriberEffect, subscriberEffectStatements } from "./suppression";

type Statement = BatchItem<"sqlite">;

const recipientColumns = {
  id: campaignRecipients.id,
  workspace_id: campaignRecipients.workspace_id,
  campaign_id: campaignRecipients.campaign_id,
  run_id: campaignRecipients.run_id,
  subscriber_id: campaignRecipients.subscriber_id,
  email: campaignRecipients.email,
  status: campaignRecipients.status,
  provider_message_id: campaignRecipients.provider_message_id,
  sending_domain_id: campaignRecipients.sending_domain_id,
  delivered_at: campaignRecipients.delivered_at,
  bounced_at: campaignRecipients.bounced_at,
  complained_at: campaignRecipients.complained_at,
  unsubscribed_at: campaignRecipients.unsubscribed_at,
};
type Recipient = { [K in keyof typeof recipientColumns]: (typeof recipientColumns)[K]["_"]["data"] | null } & {
  id: string;
  workspace_id: string;
  campaign_id: string;
  email: string;
  status: RecipientStatus;
};

export interface CascadeResult {
  /** Events recorded for the first time (the rest were redeliveries or named another workspace's ids). */
  recorded: number;
  duplicates: number;
  ignored: number;
}

const TIME_COLUMNS = [
  "delivered_at",
  "opened_at",
  "clicked_at",
  "bounced_at",
  "complained_at",
  "unsubscribed_at",
  "human_opened_at",
  "human_clicked_at",
] as const;
type TimeColumn = (typeof TIME_COLUMNS)[number];

interface RecipientChange {
  recipient: Recipient;
  status: RecipientStatus | null;
  times: Partial<Record<TimeColumn, string>>;
  opens: number;
  clicks: number;
}

const CAMPAIGN_COUNTERS = [
  "delivered_count",
  "open_count",
  "unique_open_count",
  "click_count",
  "unique_click_count",
  "bounce_count",
  "unsubscribe_count",
  "complaint_count",
  "human_open_count",
  "human_unique_open_count",
  "human_click_count",
  "human_unique_click_count",
] as const;
type CampaignCounter = (typeof CAMPAIGN_COUNTERS)[number];

const isHardBounce = (e: ProviderEvent) => e.event_type === "bounce" && e.bounce_type === "hard_bounce";

const OUTGOING_TYPE: Record<ProviderEvent["event_type"], OutgoingEventType> = {
  send: "email.sent",
  delivery: "email.delivered",
  bounce: "email.bounced",
  complaint: "email.complained",
  reject: "email.rejected",
  open: "email.opened",
  click: "email.clicked",
  unsubscribe: "email.unsubscribed",
  rendering_failure: "email.rendering_failed",
  delivery_delay: "email.delayed",
};

/** Domains whose health score this isolate refreshed lately: a burst of webhooks need not rescore them per batch. */
const healthRefreshedAt = new Map<string, number>();
export const HEALTH_REFRESH_INTERVAL_MS = 60_000;

class Cascade {
  private readonly recipients = new Map<string, RecipientChange>();
  private readonly counters = new Map<string, Record<CampaignCounter, number>>();
  private readonly resolved = new Map<string, { campaignId: string; runId: string | null; delta: CounterDelta }>();
  private readonly warming: WarmingOutcome[] = [];
  private readonly isp: DeliveryOutcome[] = [];
  private readonly subscriberEffects: SubscriberEffect[] = [];
  private readonly complainedDomains = new Map<string, { workspace_id: string; domain_id: string }>();
  private readonly touchedDomains = new Map<string, { workspace_id: string; domain_id: string }>();
  readonly outgoing: OutgoingEvent[] = [];

  constructor(private readonly now: Date) {}

  private change(recipient: Recipient): RecipientChange {
    let change = this.recipients.get(recipient.id);
    if (!change) {
      change = { recipient, status: null, times: {}, opens: 0, clicks: 0 };
      this.recipients.set(recipient.id, change);
    }
    return change;
  }

  private count(campaignId: string, counter: CampaignCounter, by = 1) {
    let row = this.counters.get(campaignId);
    if (!row) {
      row = Object.fromEntries(CAMPAIGN_COUNTERS.map((c) => [c, 0])) as Record<CampaignCounter, number>;
      this.counters.set(campaignId, row);
    }
    row[counter] += by;
  }

  /** Moves the recipient on; true when this is the first time it reaches `column` (so a counter counts it once). */
  private advance(recipient: Recipient, status: RecipientStatus, column: TimeColumn | null, at: string): boolean {
    const change = this.change(recipient);
    change.status = higherStatus(change.status, status);
    if (!column) return false;
    const first = change.times[column] === undefined && (!(column in recipient) || recipient[column as keyof Recipient] === null);
    if (change.times[column] === undefined || at < (change.times[column] as string)) change.times[column] = at;
    return first;
  }

  private outcome(recipient: Recipient, event: DeliveryOutcome["event"] & WarmingOutcome["event"], at: string) {
    const domainId = recipient.sending_domain_id;
    if (!domainId) return;
    this.isp.push({
      workspace_id: recipient.workspace_id,
      target_type: "domain",
      target_id: domainId,
      recipient_email: recipient.email,
      event,
      occurred_at: at,
    });
    this.warming.push({ workspace_id: recipient.workspace_id, target_type: "domain", target_id: domainId, event, occurred_at: at });
    this.touchedDomains.set(domainId, { workspace_id: recipient.workspace_id, domain_id: domainId });
  }

  /**
   * A recipient's send is counted for warming, ISP metrics and health when the provider first reports its fate
   * (delivered or hard-bounced): the send path does not feed them, and not every provider reports sends.
   */
  private fateReported(recipient: Recipient, at: string) {
    const change = this.change(recipient);
    const known = recipient.delivered_at !== null || recipient.bounced_at !== null || change.times.delivered_at || change.times.bounced_at;
    if (!known) this.outcome(recipient, "send", at);
  }

  private resolve(recipient: Recipient) {
    const before = recipient.status;
    if ((before !== "unknown" && before !== "failed") || this.resolved.has(recipient.id)) return;
    const delta: CounterDelta = { sent: 1, failed: before === "failed" ? -1 : 0, unknown: before === "unknown" ? -1 : 0 };
    this.resolved.set(recipient.id, { campaignId: recipient.campaign_id, runId: recipient.run_id, delta });
  }

  tracking(hit: TrackingHit & { first: FirstFlags }, recipient: Recipient) {
    const human = hit.traffic_class === "human";
    const change = this.change(recipient);
    if (hit.event_type === "open") {
      this.advance(recipient, "opened", "opened_at", hit.occurred_at);
      if (human) this.advance(recipient, "opened", "human_opened_at", hit.occurred_at);
      change.opens += 1;
      this.count(recipient.campaign_id, "open_count");
      if (hit.first.first_of_kind) this.count(recipient.campaign_id, "unique_open_count");
      if (human) this.count(recipient.campaign_id, "human_open_count");
      if (hit.first.first_human_of_kind) this.count(recipient.campaign_id, "human_unique_open_count");
    } else {
      this.advance(recipient, "clicked", "clicked_at", hit.occurred_at);
      if (human) this.advance(recipient, "clicked", "human_clicked_at", hit.occurred_at);
      change.clicks += 1;
      this.count(recipient.campaign_id, "click_count");
      if (hit.first.first_of_kind) this.count(recipient.campaign_id, "unique_click_count");
      if (human) this.count(recipient.campaign_id, "human_click_count");
      if (hit.first.first_human_of_kind) this.count(recipient.campaign_id, "human_unique_click_count");
    }
    if (SENT_STATUSES.includes(higherStatus(change.status, recipient.status) as (typeof SENT_STATUSES)[number])) this.resolve(recipient);
    if (human && recipient.sending_domain_id) {
      this.isp.push({
        workspace_id: recipient.workspace_id,
        target_type: "domain",
        target_id: recipient.sending_domain_id,
        recipient_email: recipient.email,
        event: hit.event_type,
        occurred_at: hit.occurred_at,
      });
      if (hit.event_type === "open") {
        this.warming.push({
          workspace_id: recipient.workspace_id,
          target_type: "domain",
          target_id: recipient.sending_domain_id,
          event: "open",
          occurred_at: hit.occurred_at,
        });
      }
    }
    this.outgoing.push({
      workspace_id: recipient.workspace_id,
      type: hit.event_type === "open" ? "email.opened" : "email.clicked",
      occurred_at: hit.occurred_at,
      data: {
        campaign_id: recipient.campaign_id,
        recipient_id: recipient.id,
        email: recipient.email,
        url: hit.url,
        traffic_class: hit.traffic_class,
      },
    });
  }

  provider(event: ProviderEvent, recipient: Recipient | null) {
    this.outgoing.push({
      workspace_id: event.workspace_id,
      type: OUTGOING_TYPE[event.event_type],
      occurred_at: event.occurred_at,
      data: {
        campaign_id: recipient?.campaign_id ?? null,
        recipient_id: recipient?.id ?? null,
        email: recipient?.email ?? event.recipient_email,
        provider_id: event.provider_id,
        provider_type: event.provider_type,
        ...(event.bounce_type ? { bounce_type: event.bounce_type } : {}),
        ...(event.reason ? { reason: event.reason } : {}),
        ...(event.url ? { url: event.url } : {}),
      },
    });
    if (!recipient) return;
    const at = event.occurred_at;
    const campaign = recipient.campaign_id;
    switch (event.event_type) {
      case "send":
        this.advance(recipient, "sent", null, at);
        break;
      case "delivery":
        this.fateReported(recipient, at);
        if (this.advance(recipient, "delivered", "delivered_at", at)) {
          this.count(campaign, "delivered_count");
          this.outcome(recipient, "delivery", at);
        }
        break;
      case "bounce":
        if (isHardBounce(event)) {
          this.fateReported(recipient, at);
          if (this.advance(recipient, "bounced", "bounced_at", at)) {
            this.count(campaign, "bounce_count");
            this.outcome(recipient, "bounce", at);
          }
          this.subscriberEffects.push({ kind: "hard_bounce", recipient, event });
        } else {
          this.subscriberEffects.push({ kind: "soft_bounce", recipient, event });
        }
        break;
      case "complaint":
        if (this.advance(recipient, "complained", "complained_at", at)) {
          this.count(campaign, "complaint_count");
          this.outcome(recipient, "complaint", at);
          if (recipient.sending_domain_id) {
            this.complainedDomains.set(recipient.sending_domain_id, {
              workspace_id: recipient.workspace_id,
              domain_id: recipient.sending_domain_id,
            });
          }
        }
        this.subscriberEffects.push({ kind: "complaint", recipient, event });
        break;
      case "unsubscribe":
        if (this.advance(recipient, "unsubscribed", "unsubscribed_at", at)) this.count(campaign, "unsubscribe_count");
        this.subscriberEffects.push({ kind: "unsubscribe", recipient, event });
        break;
      // Flarecast's own pixel and links count opens and clicks; a provider's report only moves the status on.
      case "open":
        this.advance(recipient, "opened", "opened_at", at);
        break;
      case "click":
        this.advance(recipient, "clicked", "clicked_at", at);
        break;
      default:
        return;
    }
    const status = this.recipients.get(recipient.id)?.status;
    if (status && SENT_STATUSES.includes(status as (typeof SENT_STATUSES)[number])) this.resolve(recipient);
  }

  async statements(db: Database, zones: Map<string, string>): Promise<Statement[]> {
    const at = this.now.toISOString();
    const statements: Statement[] = [];
    if (this.recipients.size > 0) statements.push(recipientUpdate(db, [...this.recipients.values()], at));
    for (const [campaignId, counts] of this.counters) {
      const set: Record<string, unknown> = {};
      for (const counter of CAMPAIGN_COUNTERS) {
        if (counts[counter]) set[counter] = sql`${sql.identifier(counter)} + ${counts[counter]}`;
      }
      if (Object.keys(set).length > 0) statements.push(db.update(emailCampaigns).set(set).where(eq(emailCampaigns.id, campaignId)));
    }
    for (const { campaignId, runId, delta } of this.resolved.values()) statements.push(...addToCounters(db, campaignId, runId, delta));
    statements.push(...(await subscriberEffectStatements(db, this.subscriberEffects, this.now)));
    statements.push(...warmingOutcomeStatements(db, this.warming, zones, this.now));
    statements.push(...deliveryOutcomeStatements(db, this.isp));
    for (const domain of this.complainedDomains.values()) statements.push(...complaintGuardStatements(db, domain, this.now));
    return statements;
  }

  /** Domains whose outcomes moved: their health score is recomputed (at most once a minute per isolate). */
  domainsToRescore(): { workspace_id: string; domain_id: string }[] {
    const due = [];
    for (const domain of this.touchedDomains.values()) {
      const last = healthRefreshedAt.get(domain.domain_id);
      if (last !== undefined && this.now.getTime() - last < HEALTH_REFRESH_INTERVAL_MS) continue;
      healthRefreshedAt.set(domain.domain_id, this.now.getTime());
      due.push(domain);
    }
    return due;
  }
}

/**
 * Every recipient's change in one UPDATE … FROM over a JSON parameter (D1 binds at most 100 parameters, and one
 * statement per recipient would be a hundred): the status moves only forward, each time keeps its first value.
 */
function recipientUpdate(db: Database, changes: readonly RecipientChange[], at: string) {
  const rows = changes.map((c) => ({
    id: c.recipient.id,
    status: c.status,
    rank: c.status ? STATUS_RANK[c.status] : -1,
    opens: c.opens,
    clicks: c.clicks,
    ...c.times,
  }));
  const field = (name: string) => sql.raw(`json_extract(value, '$.${name}') as change_${name}`);
  const changed = sql`(select ${sql.join(
    ["id", "status", "rank", "opens", "clicks", ...TIME_COLUMNS].map(field),
    sql`, `,
  )} from json_each(${JSON.stringify(rows)})) as change`;
  const set: Record<string, unknown> = {
    status: sql`case when ${statusRankSql} < change_rank then change_status else ${campaignRecipients.status} end`,
    open_count: sql`${campaignRecipients.open_count} + change_opens`,
    click_count: sql`${campaignRecipients.click_count} + change_clicks`,
    updated_at: at,
  };
  for (const column of TIME_COLUMNS) set[column] = sql`coalesce(${sql.identifier(column)}, ${sql.raw(`change_${column}`)})`;
  return db.update(campaignRecipients).set(set).from(changed).where(sql`${campaignRecipients.id} = change_id`);
}

interface FirstFlags {
  first_of_kind: boolean;
  first_human_of_kind: boolean;
  first_for_link: boolean;
  first_human_for_link: boolean;
}

/** What the recipients did before this batch: which kinds and links they already opened or clicked, as people or not. */
interface History {
  kinds: Set<string>;
  links: Set<string>;
}
const kindKey = (recipientId: string, kind: string, human: boolean) => `${recipientId}\u0000${kind}\u0000${human ? "h" : "a"}`;
const linkKey = (recipientId: string, url: string, human: boolean) => `${recipientId}\u0000${url}\u0000${human ? "h" : "a"}`;

function markFirsts(hits: TrackingHit[], history: History): (TrackingHit & { first: FirstFlags })[] {
  const ordered = [...hits].sort((a, b) => (a.occurred_at < b.occurred_at ? -1 : a.occurred_at > b.occurred_at ? 1 : 0));
  return ordered.map((hit) => {
    const human = hit.traffic_class === "human";
    const claim = (set: Set<string>, key: string) => {
      if (set.has(key)) return false;
      set.add(key);
      return true;
    };
    const first: FirstFlags = {
      first_of_kind: claim(history.kinds, kindKey(hit.recipient_id, hit.event_type, false)),
      first_human_of_kind: human && claim(history.kinds, kindKey(hit.recipient_id, hit.event_type, true)),
      first_for_link: hit.event_type === "click" && claim(history.links, linkKey(hit.recipient_id, hit.url ?? "", false)),
      first_human_for_link: hit.event_type === "click" && human && claim(history.links, linkKey(hit.recipient_id, hit.url ?? "", true)),
    };
    return { ...hit, first };
  });
}

const unique = <T>(values: Iterable<T>) => [...new Set(values)];

/**
 * One INSERT … SELECT over a JSON parameter for all of a batch's rows (D1 binds at most 100 parameters, so a
 * VALUES list would take a statement per few rows), skipping rows that exist and returning the ids it inserted.
 * Every column of the table comes from the row's property of the same name, in table order. The text is the same
 * for every batch, so it is written once per isolate rather than built by the query builder per batch.
 */
function insertFromJsonSql(table: typeof trackingEvents | typeof providerEventLogs): string {
  const columns = Object.values(getTableColumns(table)).map((c) => c.name);
  return (
    `insert into "${getTableName(table)}" (${columns.map((c) => `"${c}"`).join(", ")}) ` +
    `select ${columns.map((c) => `value ->> '$.${c}'`).join(", ")} from json_each(?) where true ` +
    `on conflict do nothing returning "id"`
  );
}

const INSERT_TRACKING_EVENTS = insertFromJsonSql(trackingEvents);
const INSERT_PROVIDER_EVENT_LOGS = insertFromJsonSql(providerEventLogs);

/** Booleans go in as 0/1 and JSON columns as their JSON text. */
const rowsJson = (rows: readonly object[]) =>
  JSON.stringify(rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === "boolean" ? Number(v) : v]))));

/** Both inserts in one D1 batch; the ids of the rows that were new. */
async function insertReturningIds(db: Database, inserts: { sql: string; rows: readonly object[] }[]): Promise<Set<string>> {
  const statements = inserts.filter((i) => i.rows.length > 0).map((i) => db.$client.prepare(i.sql).bind(rowsJson(i.rows)));
  if (statements.length === 0) return new Set();
  const results = await db.$client.batch<{ id: string }>(statements);
  return new Set(results.flatMap((r) => r.results.map((row) => row.id)));
}

/**
 * Applies a batch of EVENT_QUEUE messages. Events naming recipients of another workspace than the one they came
 * from are ignored (tracking hits) or logged without their ids (provider events), with a warning.
 */
export async function applyEvents(db: Database, env: Env, events: readonly EventMessage[], now = new Date()): Promise<CascadeResult> {
  const hitsById = new Map<string, TrackingHit>();
  const reports = new Map<string, ProviderEvent>();
  for (const e of events) {
    if (e.kind === "tracking_hit") hitsById.set(e.id, e);
    else reports.set(`${e.provider_id}\u0000${e.provider_event_id}`, e);
  }
  const hits = [...hitsById.values()];
  const recipientIds = unique([
    ...hits.map((h) => h.recipient_id),
    ...[...reports.values()].flatMap((r) => (r.recipient_id ? [r.recipient_id] : [])),
  ]);
  const messageIds = unique(
    [...reports.values()].flatMap((r) => (!r.recipient_id && r.provider_message_id ? [r.provider_message_id] : [])),
  );
  const clickTimes = hits
    .filter((h) => h.event_type === "click")
    .map((h) => Date.parse(h.occurred_at))
    .filter((t) => !Number.isNaN(t));
  const clicksSince = new Date((clickTimes.length ? Math.min(...clickTimes) : now.getTime()) - 2_000).toISOString();
  const hitRecipients = unique(hits.map((h) => h.recipient_id));

  const [recipientRows, historyRows, recentClicks, zoneRows] = await db.batch([
    db
      .select(recipientColumns)
      .from(campaignRecipients)
      .where(sql`${inJsonList(campaignRecipients.id, recipientIds)} or ${inJsonList(campaignRecipients.provider_message_id, messageIds)}`),
    db
      .select({
        recipient_id: trackingEvents.recipient_id,
        event_type: trackingEvents.event_type,
        url: trackingEvents.url,
        human: sql<number>`max(${trackingEvents.traffic_class} = 'human')`.mapWith(Number),
      })
      .from(trackingEvents)
      .where(inJsonList(trackingEvents.recipient_id, hitRecipients))
      .groupBy(trackingEvents.recipient_id, trackingEvents.event_type, trackingEvents.url),
    db
      .select({
        id: trackingEvents.id,
        recipient_id: trackingEvents.recipient_id,
        url: trackingEvents.url,
        occurred_at: trackingEvents.occurred_at,
      })
      .from(trackingEvents)
      .where(
        and(
          inJsonList(trackingEvents.recipient_id, clickTimes.length ? hitRecipients : []),
          eq(trackingEvents.event_type, "click"),
          gte(trackingEvents.occurred_at, clicksSince),
        ),
      ),
    db
      .select({ id: workspaces.id, timezone: workspaces.timezone })
      .from(workspaces)
      .where(inJsonList(workspaces.id, unique(events.map((e) => e.workspace_id)))),
  ]);
  const byId = new Map(recipientRows.map((r) => [r.id, r as Recipient]));
  const byMessageId = new Map(
    recipientRows.flatMap((r) => (r.provider_message_id ? [[r.provider_message_id, r as Recipient] as const] : [])),
  );
  const zones = new Map(zoneRows.map((w) => [w.id, w.timezone]));

  let ignored = 0;
  const recipientOfHit = (hit: TrackingHit) => {
    const r = byId.get(hit.recipient_id);
    return r && r.workspace_id === hit.workspace_id && r.campaign_id === hit.campaign_id ? r : null;
  };
  const validHits = hits.filter((hit) => {
    if (recipientOfHit(hit)) return true;
    ignored += 1;
    console.warn(
      `event cascade: tracking hit ${hit.id} names no recipient of campaign ${hit.campaign_id} in workspace ${hit.workspace_id}`,
    );
    return false;
  });
  const recipientOfReport = (e: ProviderEvent): Recipient | null => {
    const r = e.recipient_id ? byId.get(e.recipient_id) : e.provider_message_id ? byMessageId.get(e.provider_message_id) : undefined;
    if (!r) return null;
    if (r.workspace_id !== e.workspace_id || (e.campaign_id !== null && e.campaign_id !== r.campaign_id)) {
      console.warn(`event cascade: ${e.provider_type} event ${e.provider_event_id} names a recipient outside workspace ${e.workspace_id}`);
      ignored += 1;
      return null;
    }
    return r;
  };

  const history: History = { kinds: new Set(), links: new Set() };
  for (const row of historyRows) {
    for (const human of row.human ? [false, true] : [false]) {
      history.kinds.add(kindKey(row.recipient_id, row.event_type, human));
      if (row.event_type === "click") history.links.add(linkKey(row.recipient_id, row.url ?? "", human));
    }
  }
  const stored = new Set(recentClicks.map((c) => c.id));
  const burst = burstClickIds([...recentClicks, ...validHits.filter((h) => h.event_type === "click" && !stored.has(h.id))]);
  const classified = validHits.map((hit) =>
    burst.has(hit.id) && hit.traffic_class !== "bot" ? { ...hit, traffic_class: "bot" as const, traffic_reason: "burst" } : hit,
  );
  const marked = markFirsts(classified, history);

  // A batch's hits come from few agents (a mail provider's proxy fetches every image with the same one): each is
  // parsed once.
  const devices = new Map<string | null, ReturnType<typeof describeUserAgent>>();
  const deviceOf = (userAgent: string | null) => {
    let device = devices.get(userAgent);
    if (!device) {
      device = describeUserAgent(userAgent);
      devices.set(userAgent, device);
    }
    return device;
  };
  const trackingRows = marked.map((hit) => {
    const recipient = recipientOfHit(hit) as Recipient;
    return {
      id: hit.id,
      workspace_id: hit.workspace_id,
      campaign_id: hit.campaign_id,
      recipient_id: hit.recipient_id,
      subscriber_id: recipient.subscriber_id,
      event_type: hit.event_type,
      url: hit.url,
      link_index: hit.link_index,
      user_agent: hit.user_agent,
      ...deviceOf(hit.user_agent),
      ip_country: hit.ip_country,
      traffic_class: hit.traffic_class,
      traffic_reason: hit.traffic_reason,
      ...hit.first,
      occurred_at: hit.occurred_at,
      received_at: now.toISOString(),
    };
  });
  const reportRows = [...reports.values()].map((e) => {
    const recipient = recipientOfReport(e);
    return {
      event: e,
      recipient,
      row: {
        id: newId("pel", now.getTime()),
        workspace_id: e.workspace_id,
        provider_id: e.provider_id,
        provider_type: e.provider_type,
        provider_event_id: e.provider_event_id,
        event_type: e.event_type,
        bounce_type: e.bounce_type,
        provider_message_id: e.provider_message_id,
        recipient_email: e.recipient_email ?? recipient?.email ?? null,
        campaign_id: recipient?.campaign_id ?? null,
        recipient_id: recipient?.id ?? null,
        reason: e.reason,
        payload: e.payload ?? null,
        occurred_at: e.occurred_at,
        received_at: now.toISOString(),
      },
    };
  });

  const inserted = await insertReturningIds(db, [
    { sql: INSERT_TRACKING_EVENTS, rows: trackingRows },
    { sql: INSERT_PROVIDER_EVENT_LOGS, rows: reportRows.map((r) => ({ ...r.row, payload: JSON.stringify(r.row.payload) })) },
  ]);

  const cascade = new Cascade(now);
  let recorded = 0;
  for (const hit of marked) {
    if (!inserted.has(hit.id)) continue;
    recorded += 1;
    cascade.tracking(hit, recipientOfHit(hit) as Recipient);
  }
  for (const { event, recipient, row } of reportRows) {
    if (!inserted.has(row.id)) continue;
    recorded += 1;
    cascade.provider(event, recipient);
  }

  const [first, ...rest] = await cascade.statements(db, zones);
  if (first) await db.batch([first, ...rest]);
  await queueOutgoingWebhooks(db, env, cascade.outgoing);
  for (const domain of cascade.domainsToRescore()) {
    await refreshTargetHealth(db, domain.workspace_id, { target_type: "domain", target_id: domain.domain_id }, now);
  }
  return { recorded, duplicates: marked.length + reportRows.length - recorded, ignored };
}
