import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { eventGroups, MAX_EVENTS_PER_APPLY } from "../../queues/event.consumer";
import { QUEUES } from "../../queues/messages";
import {
  campaignRecipients,
  emailCampaigns,
  ispMetrics,
  providerEventLogs,
  sendingDomains,
  subscribers,
  subscriptionChanges,
  suppressions,
  trackingEvents,
  warmingProgress,
} from "../../src/db/schema";
import type { ProviderEvent, TrackingHit } from "../../src/domain/events/event-messages";
import worker from "../../src/index";
import { newId } from "../../src/lib/ids";
import { createWorkspace } from "../factories/api";
import { db } from "../factories/campaigns";
import { domainRow } from "../factories/infrastructure";

let messages = 0;

/** Puts the bodies through the worker's queue handler as one EVENT_QUEUE batch. */
async function consume(bodies: unknown[]) {
  const batch = createMessageBatch<unknown>(
    QUEUES.events,
    bodies.map((body) => ({ id: `evt-msg-${++messages}`, timestamp: new Date(), attempts: 1, body })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch, env);
  return getQueueResult(batch, ctx);
}

const NOW = Date.now();
const at = (secondsAfter: number) => new Date(NOW - 3_600_000 + secondsAfter * 1000).toISOString();

interface Setup {
  workspaceId: string;
  domainId: string;
  campaignId: string;
  runId: string;
  recipients: { id: string; email: string; subscriber_id: string; provider_message_id: string }[];
}

async function setup({ people = 3, warming = false }: { people?: number; warming?: boolean } = {}): Promise<Setup> {
  const { workspace } = await createWorkspace();
  const domain = domainRow(workspace.id, warming ? { warming_status: "warming", warming_day: 1, daily_limit: 50 } : {});
  await db.insert(sendingDomains).values(domain);
  const campaignId = newId("cmp");
  const runId = newId("run");
  await db
    .insert(emailCampaigns)
    .values({ id: campaignId, workspace_id: workspace.id, name: "News", status: "sending", sent_count: people });
  const recipients = [];
  for (let i = 0; i < people; i++) {
    const email = `person${i}-${crypto.randomUUID().slice(0, 6)}@gmail.com`;
    const subscriber_id = newId("sub");
    await db.insert(subscribers).values({ id: subscriber_id, workspace_id: workspace.id, email, preference_token: crypto.randomUUID() });
    const row = { id: newId("rcp"), email, subscriber_id, provider_message_id: `msg-${crypto.randomUUID()}` };
    await db.insert(campaignRecipients).values({
      ...row,
      workspace_id: workspace.id,
      campaign_id: campaignId,
      run_id: runId,
      status: "sent",
      sending_domain_id: domain.id,
      sent_at: at(0),
    });
    recipients.push(row);
  }
  return { workspaceId: workspace.id, domainId: domain.id, campaignId, runId, recipients };
}

const report = (s: Setup, i: number, overrides: Partial<ProviderEvent>): ProviderEvent => ({
  kind: "provider_event",
  workspace_id: s.workspaceId,
  provider_id: "prv_test",
  provider_type: "sendgrid",
  provider_event_id: crypto.randomUUID(),
  event_type: "delivery",
  bounce_type: null,
  provider_message_id: s.recipients[i].provider_message_id,
  recipient_email: s.recipients[i].email,
  campaign_id: s.campaignId,
  recipient_id: s.recipients[i].id,
  reason: null,
  url: null,
  user_agent: null,
  occurred_at: at(10),
  payload: { raw: true },
  ...overrides,
});

const hit = (s: Setup, i: number, overrides: Partial<TrackingHit>): TrackingHit => ({
  kind: "tracking_hit",
  id: crypto.randomUUID(),
  workspace_id: s.workspaceId,
  campaign_id: s.campaignId,
  recipient_id: s.recipients[i].id,
  event_type: "open",
  url: null,
  link_index: null,
  occurred_at: at(60),
  sent_at: at(0),
  user_agent: "Mozilla/5.0",
  ip_country: "FR",
  traffic_class: "human",
  traffic_reason: null,
  ...overrides,
});

const click = (s: Setup, i: number, url: string, secondsAfter: number, overrides: Partial<TrackingHit> = {}) =>
  hit(s, i, { event_type: "click", url, link_index: 0, occurred_at: at(secondsAfter), ...overrides });

const recipient = async (id: string) => db.select().from(campaignRecipients).where(eq(campaignRecipients.id, id)).get();
const campaign = async (id: string) => db.select().from(emailCampaigns).where(eq(emailCampaigns.id, id)).get();
const subscriber = async (id: string) => db.select().from(subscribers).where(eq(subscribers.id, id)).get();
const suppressionsOf = async (workspaceId: string) => db.select().from(suppressions).where(eq(suppressions.workspace_id, workspaceId));

describe("the event cascade", () => {
  it("records each event once: a redelivered batch changes nothing", async () => {
    const s = await setup();
    const batch = [
      report(s, 0, { event_type: "delivery" }),
      hit(s, 0, { occurred_at: at(60) }),
      click(s, 0, "https://example.com/a", 90),
      report(s, 1, { event_type: "bounce", bounce_type: "hard_bounce", reason: "550 no such user" }),
    ];
    const first = await consume(batch);
    expect(first.explicitAcks).toHaveLength(4);
    const snapshot = async () => ({
      campaign: await campaign(s.campaignId),
      recipients: await Promise.all(s.recipients.map((r) => recipient(r.id))),
      logs: await db.select().from(providerEventLogs).where(eq(providerEventLogs.workspace_id, s.workspaceId)),
      hits: await db.select().from(trackingEvents).where(eq(trackingEvents.workspace_id, s.workspaceId)),
      suppressions: await suppressionsOf(s.workspaceId),
      changes: await db.select().from(subscriptionChanges).where(eq(subscriptionChanges.workspace_id, s.workspaceId)),
      isp: await db.select().from(ispMetrics).where(eq(ispMetrics.workspace_id, s.workspaceId)),
    });
    const before = await snapshot();
    expect(before.logs).toHaveLength(2);
    expect(before.hits).toHaveLength(2);
    expect(before.campaign).toMatchObject({ delivered_count: 1, open_count: 1, click_count: 1, bounce_count: 1 });

    await consume(batch);
    await consume([batch[1], batch[0]]);
    const after = await snapshot();
    expect({ ...after, campaign: { ...after.campaign, updated_at: null } }).toEqual({
      ...before,
      campaign: { ...before.campaign, updated_at: null },
    });
  });

  it("moves recipient status only forward, sets each time once, and resolves unknown recipients", async () => {
    const s = await setup();
    await db.update(campaignRecipients).set({ status: "unknown" }).where(eq(campaignRecipients.id, s.recipients[1].id));
    await db.update(emailCampaigns).set({ sent_count: 2, unknown_count: 1 }).where(eq(emailCampaigns.id, s.campaignId));

    await consume([click(s, 0, "https://example.com/a", 100), hit(s, 0, { occurred_at: at(80) })]);
    await consume([
      report(s, 0, { event_type: "delivery", occurred_at: at(20) }),
      report(s, 1, { event_type: "delivery", occurred_at: at(15) }),
    ]);
    expect(await recipient(s.recipients[0].id)).toMatchObject({
      status: "clicked",
      delivered_at: at(20),
      opened_at: at(80),
      human_opened_at: at(80),
      clicked_at: at(100),
      human_clicked_at: at(100),
      open_count: 1,
      click_count: 1,
    });
    expect(await recipient(s.recipients[1].id)).toMatchObject({ status: "delivered", delivered_at: at(15) });
    expect(await campaign(s.campaignId)).toMatchObject({ sent_count: 3, unknown_count: 0, delivered_count: 2 });

    await consume([report(s, 1, { event_type: "complaint", occurred_at: at(300) })]);
    await consume([
      report(s, 1, { event_type: "open", occurred_at: at(400) }),
      report(s, 1, { event_type: "unsubscribe", occurred_at: at(500) }),
    ]);
    expect(await recipient(s.recipients[1].id)).toMatchObject({ status: "complained", complained_at: at(300), unsubscribed_at: at(500) });
  });

  it("counts opens and clicks in total and by people, uniques once per recipient, and flags the first events", async () => {
    const s = await setup();
    await consume([
      hit(s, 0, { occurred_at: at(60), traffic_class: "proxy", traffic_reason: "apple_mpp" }),
      hit(s, 0, { occurred_at: at(120) }),
      hit(s, 0, { occurred_at: at(180) }),
      hit(s, 1, { occurred_at: at(60), traffic_class: "proxy", traffic_reason: "gmail_proxy" }),
      click(s, 0, "https://example.com/a", 200),
    ]);
    await consume([
      click(s, 0, "https://example.com/a", 400),
      click(s, 0, "https://example.com/b", 500),
      hit(s, 1, { occurred_at: at(600) }),
    ]);
    expect(await campaign(s.campaignId)).toMatchObject({
      open_count: 5,
      unique_open_count: 2,
      human_open_count: 3,
      human_unique_open_count: 2,
      click_count: 3,
      unique_click_count: 1,
      human_click_count: 3,
      human_unique_click_count: 1,
    });
    const flags = await db
      .select({
        event_type: trackingEvents.event_type,
        url: trackingEvents.url,
        occurred_at: trackingEvents.occurred_at,
        first_of_kind: trackingEvents.first_of_kind,
        first_human_of_kind: trackingEvents.first_human_of_kind,
        first_for_link: trackingEvents.first_for_link,
        first_human_for_link: trackingEvents.first_human_for_link,
        device_type: trackingEvents.device_type,
      })
      .from(trackingEvents)
      .where(eq(trackingEvents.recipient_id, s.recipients[0].id))
      .orderBy(trackingEvents.occurred_at);
    const f = (of: boolean, human: boolean, link = false, humanLink = false) => ({
      first_of_kind: of,
      first_human_of_kind: human,
      first_for_link: link,
      first_human_for_link: humanLink,
    });
    expect(flags).toMatchObject([
      f(true, false),
      f(false, true),
      f(false, false),
      f(true, true, true, true),
      f(false, false, false, false),
      f(false, false, true, true),
    ]);
    expect(flags[0].device_type).toBeTypeOf("string");
  });

  it("marks every click of a burst (three links of one message within 2 s) as bot, across batches", async () => {
    const s = await setup();
    await consume([click(s, 0, "https://example.com/a", 1000)]);
    await consume([
      click(s, 0, "https://example.com/b", 1000.5),
      click(s, 0, "https://example.com/c", 1001.2),
      click(s, 1, "https://example.com/a", 1001),
    ]);
    const rows = await db
      .select({
        recipient_id: trackingEvents.recipient_id,
        url: trackingEvents.url,
        traffic_class: trackingEvents.traffic_class,
        reason: trackingEvents.traffic_reason,
      })
      .from(trackingEvents)
      .where(eq(trackingEvents.campaign_id, s.campaignId))
      .orderBy(trackingEvents.occurred_at);
    expect(rows.filter((r) => r.recipient_id === s.recipients[0].id).map((r) => [r.url, r.traffic_class, r.reason])).toEqual([
      ["https://example.com/a", "human", null],
      ["https://example.com/b", "bot", "burst"],
      ["https://example.com/c", "bot", "burst"],
    ]);
    expect(rows.find((r) => r.recipient_id === s.recipients[1].id)?.traffic_class).toBe("human");
    expect(await campaign(s.campaignId)).toMatchObject({ click_count: 4, human_click_count: 2 });
  });

  it("suppresses hard bounces, complaints and provider unsubscribes with their sources", async () => {
    const s = await setup();
    await consume([
      report(s, 0, { event_type: "bounce", bounce_type: "hard_bounce", reason: "550 5.1.1 unknown user" }),
      report(s, 1, { event_type: "complaint", reason: "abuse" }),
      report(s, 2, { event_type: "unsubscribe" }),
    ]);
    expect(await subscriber(s.recipients[0].subscriber_id)).toMatchObject({
      status: "bounced",
      bounced_at: at(10),
      unsubscribe_source: "bounce",
    });
    expect(await subscriber(s.recipients[1].subscriber_id)).toMatchObject({
      status: "complained",
      complained_at: at(10),
      unsubscribe_source: "complaint",
    });
    expect(await subscriber(s.recipients[2].subscriber_id)).toMatchObject({
      status: "unsubscribed",
      unsubscribed_at: at(10),
      unsubscribe_source: "link",
    });
    const blocked = await suppressionsOf(s.workspaceId);
    expect(blocked.map((b) => [b.email, b.reason, b.source_campaign_id]).sort()).toEqual(
      [
        [s.recipients[0].email, "bounced", s.campaignId],
        [s.recipients[1].email, "complained", s.campaignId],
      ].sort(),
    );
    const changes = await db.select().from(subscriptionChanges).where(eq(subscriptionChanges.workspace_id, s.workspaceId));
    expect(changes.map((c) => [c.subscriber_id, c.action, c.source]).sort()).toEqual(
      [
        [s.recipients[0].subscriber_id, "unsubscribed", "bounce"],
        [s.recipients[1].subscriber_id, "unsubscribed", "complaint"],
        [s.recipients[2].subscriber_id, "unsubscribed", "link"],
      ].sort(),
    );
    expect(await campaign(s.campaignId)).toMatchObject({ bounce_count: 1, complaint_count: 1, unsubscribe_count: 1 });
  });

  it("suppresses an address only at its third soft bounce within 7 days", async () => {
    const s = await setup({ people: 1 });
    const soft = (seconds: number) => report(s, 0, { event_type: "bounce", bounce_type: "soft_bounce", occurred_at: at(seconds) });
    await consume([soft(10)]);
    await consume([soft(20)]);
    expect(await subscriber(s.recipients[0].subscriber_id)).toMatchObject({ status: "active" });
    expect(await suppressionsOf(s.workspaceId)).toHaveLength(0);
    expect(await recipient(s.recipients[0].id)).toMatchObject({ status: "sent" });
    await consume([soft(30)]);
    expect(await subscriber(s.recipients[0].subscriber_id)).toMatchObject({ status: "bounced", unsubscribe_source: "bounce" });
    expect((await suppressionsOf(s.workspaceId)).map((b) => b.reason)).toEqual(["bounced"]);
  });

  it("feeds warming progress, ISP metrics and the domain's health score", async () => {
    const s = await setup({ people: 3, warming: true });
    await consume([
      report(s, 0, { event_type: "delivery" }),
      report(s, 1, { event_type: "delivery" }),
      report(s, 2, { event_type: "bounce", bounce_type: "hard_bounce" }),
      hit(s, 0, {}),
    ]);
    const progress = await db.select().from(warmingProgress).where(eq(warmingProgress.target_id, s.domainId));
    expect(progress).toHaveLength(1);
    expect(progress[0]).toMatchObject({ sent_count: 3, delivered_count: 2, bounce_count: 1, open_count: 1 });
    const isp = await db.select().from(ispMetrics).where(eq(ispMetrics.target_id, s.domainId));
    expect(isp).toHaveLength(1);
    expect(isp[0]).toMatchObject({ isp: "gmail", sent_count: 3, delivered_count: 2, bounce_count: 1, open_count: 1 });
    const domain = await db.select().from(sendingDomains).where(eq(sendingDomains.id, s.domainId)).get();
    expect(domain?.health_score).toBeTypeOf("number");
  });

  it("ignores another workspace's ids in an event", async () => {
    const s = await setup({ people: 1 });
    const other = await setup({ people: 1 });
    const foreignHit = { ...hit(other, 0, {}), workspace_id: s.workspaceId };
    const foreignReport = { ...report(other, 0, { event_type: "complaint" }), workspace_id: s.workspaceId, provider_message_id: null };
    const foreignByMessage = {
      ...report(other, 0, { event_type: "bounce", bounce_type: "hard_bounce" }),
      workspace_id: s.workspaceId,
      recipient_id: null,
      campaign_id: null,
    };
    const result = await consume([foreignHit, foreignReport, foreignByMessage]);
    expect(result.explicitAcks).toHaveLength(3);
    expect(await recipient(other.recipients[0].id)).toMatchObject({ status: "sent", complained_at: null, bounced_at: null });
    expect(await subscriber(other.recipients[0].subscriber_id)).toMatchObject({ status: "active" });
    expect(await campaign(other.campaignId)).toMatchObject({ open_count: 0, complaint_count: 0, bounce_count: 0 });
    expect(await suppressionsOf(s.workspaceId)).toHaveLength(0);
    expect(await suppressionsOf(other.workspaceId)).toHaveLength(0);
    expect(await db.select().from(trackingEvents).where(eq(trackingEvents.recipient_id, other.recipients[0].id))).toHaveLength(0);
    const logs = await db.select().from(providerEventLogs).where(eq(providerEventLogs.workspace_id, s.workspaceId));
    expect(logs.map((l) => [l.recipient_id, l.campaign_id])).toEqual([
      [null, null],
      [null, null],
    ]);
  });

  it("dead-letters malformed events and applies the rest", async () => {
    const s = await setup({ people: 1 });
    const result = await consume([{ kind: "tracking_hit", id: "" }, report(s, 0, { event_type: "delivery" })]);
    expect(result.explicitAcks).toHaveLength(2);
    const dead = await env.DB.prepare("select reason from dead_letters where queue = ? and message_id = ?")
      .bind(QUEUES.events, `evt-msg-${messages - 1}`)
      .all<{ reason: string }>();
    expect(dead.results[0].reason).toMatch(/^invalid_message/);
    expect(await recipient(s.recipients[0].id)).toMatchObject({ status: "delivered" });
  });
});

describe("messages of tracking hits", () => {
  it("are applied in groups of at most MAX_EVENTS_PER_APPLY events, a message never split", () => {
    const message = (n: number) => ({ events: Array.from({ length: n }, (_, i) => i) });
    const sizes = (groups: { events: number[] }[][]) => groups.map((g) => g.map((m) => m.events.length));
    expect(sizes(eventGroups([100, 100, 100, 100, 1].map(message)))).toEqual([
      [100, 100, 100],
      [100, 1],
    ]);
    expect(sizes(eventGroups([1, 100, 100, 100].map(message)))).toEqual([[1, 100, 100], [100]]);
    expect(sizes(eventGroups([2, 2, 2].map(message), 3))).toEqual([[2], [2], [2]]);
    expect(sizes(eventGroups([5, 1].map(message), 3))).toEqual([[5], [1]]);
    expect(eventGroups([])).toEqual([]);
    expect(MAX_EVENTS_PER_APPLY * 4600).toBeLessThan(2_000_000);
  });

  const hits = (s: Setup, n: number, make: (i: number) => Partial<TrackingHit> = () => ({})) =>
    Array.from({ length: n }, (_, i) => hit(s, i % s.recipients.length, make(i)));

  it("records a message's hits as it records hits sent alone", async () => {
    const s = await setup({ people: 3 });
    const result = await consume([{ kind: "tracking_hits", hits: hits(s, 3) }, hit(s, 0, { occurred_at: at(120) })]);
    expect(result.explicitAcks).toHaveLength(2);
    expect(await db.select().from(trackingEvents).where(eq(trackingEvents.workspace_id, s.workspaceId))).toHaveLength(4);
    expect(await campaign(s.campaignId)).toMatchObject({ open_count: 4, unique_open_count: 3 });
    for (const r of s.recipients) expect(await recipient(r.id)).toMatchObject({ status: "opened" });
  });

  it("applies a batch of the largest hits, over 2 MB of rows, in groups", async () => {
    const s = await setup({ people: 5 });
    // 500 clicks with a 3 KB link and a 1 KB agent: more than D1 binds in one parameter, were it one group.
    const link = `https://example.com/${"l".repeat(3000)}`;
    const agent = `Mozilla/5.0 ${"a".repeat(1000)}`;
    const big = hits(s, 500, (i) => ({ event_type: "click", url: `${link}?n=${i}`, link_index: 0, user_agent: agent }));
    const bodies = Array.from({ length: 5 }, (_, m) => ({ kind: "tracking_hits", hits: big.slice(m * 100, m * 100 + 100) }));
    const result = await consume(bodies);
    expect(result.explicitAcks).toHaveLength(5);
    expect(result.retryMessages).toEqual([]);
    const stored = await env.DB.prepare("select count(*) as n from tracking_events where workspace_id = ?")
      .bind(s.workspaceId)
      .first<{ n: number }>();
    expect(stored?.n).toBe(500);
    expect(await campaign(s.campaignId)).toMatchObject({ click_count: 500, unique_click_count: 5 });
  });

  it("dead-letters a message with a malformed hit and applies the others", async () => {
    const s = await setup({ people: 2 });
    const [good, bad] = hits(s, 2);
    const result = await consume([
      { kind: "tracking_hits", hits: [good, { ...bad, event_type: "view" }] },
      { kind: "tracking_hits", hits: [] },
      hit(s, 1, {}),
    ]);
    expect(result.explicitAcks).toHaveLength(3);
    const dead = await env.DB.prepare("select reason from dead_letters where queue = ? and message_id in (?, ?) order by message_id")
      .bind(QUEUES.events, `evt-msg-${messages - 2}`, `evt-msg-${messages - 1}`)
      .all<{ reason: string }>();
    expect(dead.results.map((d) => d.reason)).toEqual([
      expect.stringMatching(/^invalid_message: hits\.1\.event_type/),
      expect.stringMatching(/^invalid_message: hits/),
    ]);
    expect(await recipient(s.recipients[0].id)).toMatchObject({ status: "sent" });
    expect(await recipient(s.recipients[1].id)).toMatchObject({ status: "opened" });
  });
});
