// The webhook-ingest benchmark Worker, run inside workerd by `wrangler dev --config bench/webhook-ingest/wrangler.toml`
// (see run.mjs). The EVENT_QUEUE consumer is the application's own (src/index.ts → queues/event.consumer.ts); the
// bench hands it a D1 binding that counts round trips, and adds what has no API:
//   GET  /health
//   POST /bench/seed {recipients}        a workspace, a warming domain, a campaign and its sent recipients
//   POST /bench/burst {seed, events}     `events` mixed events for the seeded recipients on EVENT_QUEUE, 100 per sendBatch
//   GET  /bench/stats                    events and batches consumed, D1 round trips by kind, time in the consumer and in D1
//   GET  /bench/check/<campaign_id>      the campaign's counters, suppressions and warming row, for the runner's check
// Provider webhooks reach EVENT_QUEUE through their signed receiver routes (src/routes/provider-webhooks); the burst
// puts the normalized events those routes make on the queue itself, so the figure is the cascade's, not the receivers'.
import { eq, sql } from "drizzle-orm";
import { createDb } from "../../src/db/client";
import { emailCampaigns, suppressions, warmingProgress } from "../../src/db/schema";
import type { EventMessage, ProviderEvent, TrackingHit } from "../../src/domain/events/event-messages";
import flarecast from "../../src/index";
import { chunk } from "../../src/lib/chunk";
import { newId } from "../../src/lib/ids";

type Kind = "batch" | "run" | "all" | "first" | "raw" | "exec";
const counts: Record<Kind, number> = { batch: 0, run: 0, all: 0, first: 0, raw: 0, exec: 0 };
let eventsConsumed = 0;
let batchesConsumed = 0;
let firstConsumedAt: number | null = null;
let lastConsumedAt: number | null = null;
/** Where a batch's time goes: inside the consumer at all, and of that, waiting for D1 to answer. */
let consumerMs = 0;
let d1Ms = 0;

async function timed<T>(work: Promise<T>): Promise<T> {
  const started = Date.now();
  try {
    return await work;
  } finally {
    d1Ms += Date.now() - started;
  }
}

const REAL = Symbol("real statement");

function countedStatement(real: D1PreparedStatement): D1PreparedStatement {
  return new Proxy(real, {
    get(target, prop) {
      if (prop === REAL) return target;
      if (prop === "bind") return (...values: unknown[]) => countedStatement(target.bind(...values));
      if (prop === "run" || prop === "all" || prop === "first" || prop === "raw") {
        return (...a: unknown[]) => {
          counts[prop] += 1;
          return timed((target[prop] as (...x: unknown[]) => Promise<unknown>).apply(target, a));
        };
      }
      const value = Reflect.get(target, prop);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

const counted = new WeakMap<D1Database, D1Database>();

/** One wrapper per binding (createDb caches drizzle per binding object); a batch counts once, whatever it holds. */
function countingDb(db: D1Database): D1Database {
  let wrapper = counted.get(db);
  if (!wrapper) {
    wrapper = new Proxy(db, {
      get(target, prop) {
        if (prop === "prepare") return (query: string) => countedStatement(target.prepare(query));
        if (prop === "batch") {
          return (statements: D1PreparedStatement[]) => {
            counts.batch += 1;
            return timed(target.batch(statements.map((s) => (s as unknown as { [REAL]: D1PreparedStatement })[REAL] ?? s)));
          };
        }
        if (prop === "exec") {
          return (query: string) => {
            counts.exec += 1;
            return timed(target.exec(query));
          };
        }
        const value = Reflect.get(target, prop);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    counted.set(db, wrapper);
  }
  return wrapper;
}

interface Seed {
  workspace_id: string;
  campaign_id: string;
  domain_id: string;
  recipient_ids: string[];
  emails: string[];
}

async function seed(env: Env, recipients: number): Promise<Seed> {
  const now = new Date().toISOString();
  const workspaceId = newId("ws");
  const domainId = newId("dom");
  const campaignId = newId("cmp");
  const runId = newId("run");
  const record = JSON.stringify({ type: "TXT", name: "x", value: "y" });
  await env.DB.batch([
    env.DB.prepare(
      "insert into workspaces (id, name, slug, timezone, settings, created_at, updated_at) values (?1, 'Bench', ?1, 'UTC', '{}', ?2, ?2)",
    ).bind(workspaceId, now),
    env.DB.prepare(
      `insert into sending_domains (id, workspace_id, domain, status, dns_records, dkim_selector, dkim_public_key, dkim_private_key,
        warming_status, warming_day, daily_limit, created_at, updated_at)
       values (?1, ?2, 'bench.example', 'verified', json_object('spf', json(?3), 'dkim', json(?3), 'dmarc', json(?3), 'return_path', json(?3)),
        'fc1', 'public', 'sealed', 'warming', 1, 100000, ?4, ?4)`,
    ).bind(domainId, workspaceId, record, now),
    env.DB.prepare(
      "insert into email_campaigns (id, workspace_id, name, status, current_run_id, sent_count, total_recipients, created_at, updated_at) values (?1, ?2, 'Bench', 'sending', ?3, ?4, ?4, ?5, ?5)",
    ).bind(campaignId, workspaceId, runId, recipients, now),
  ]);
  const rows = Array.from({ length: recipients }, (_, i) => ({
    id: newId("rcp"),
    subscriber_id: newId("sub"),
    email: `r${i}@${["gmail.com", "yahoo.com", "outlook.com", "bench.example"][i % 4]}`,
    message_id: `bench-${i}-${crypto.randomUUID()}`,
  }));
  const insertSubscribers = env.DB.prepare(`insert into subscribers (id, workspace_id, email, preference_token, created_at, updated_at)
    select json_extract(value, '$.subscriber_id'), ?2, json_extract(value, '$.email'), json_extract(value, '$.id'), ?3, ?3 from json_each(?1)`);
  const insertRecipients = env.DB.prepare(`insert into campaign_recipients (id, workspace_id, campaign_id, run_id, subscriber_id, email,
      status, provider_message_id, sending_domain_id, sent_at, created_at, updated_at)
    select json_extract(value, '$.id'), ?2, ?3, ?4, json_extract(value, '$.subscriber_id'), json_extract(value, '$.email'), 'sent',
      json_extract(value, '$.message_id'), ?5, ?6, ?6, ?6 from json_each(?1)`);
  for (const part of chunk(rows, 1000)) {
    const json = JSON.stringify(part);
    await env.DB.batch([
      insertSubscribers.bind(json, workspaceId, now),
      insertRecipients.bind(json, workspaceId, campaignId, runId, domainId, now),
    ]);
  }
  return {
    workspace_id: workspaceId,
    campaign_id: campaignId,
    domain_id: domainId,
    recipient_ids: rows.map((r) => r.id),
    emails: rows.map((r) => r.email),
  };
}

/**
 * The burst's mix, in shares of the events: deliveries 48 %, opens 30 % (a third of them by mail-provider proxies),
 * clicks 19 % (two links per clicking recipient, some within a burst), hard bounces 1.5 %, soft bounces 0.5 %,
 * complaints 0.5 %, unsubscribes 0.5 %. Each recipient's events are of a plausible story; the order is shuffled.
 */
function burst(s: Seed, total: number): EventMessage[] {
  const n = s.recipient_ids.length;
  const events: EventMessage[] = [];
  const at = (seconds: number) => new Date(Date.now() - 3_600_000 + seconds * 1000).toISOString();
  const report = (i: number, event_type: ProviderEvent["event_type"], extra: Partial<ProviderEvent> = {}): ProviderEvent => ({
    kind: "provider_event",
    workspace_id: s.workspace_id,
    provider_id: "prv_bench",
    provider_type: "sendgrid",
    provider_event_id: crypto.randomUUID(),
    event_type,
    bounce_type: null,
    provider_message_id: `msg-${i}`,
    recipient_email: s.emails[i],
    campaign_id: s.campaign_id,
    recipient_id: s.recipient_ids[i],
    reason: null,
    url: null,
    user_agent: null,
    occurred_at: at(10 + (i % 600)),
    payload: { event: event_type, sg_event_id: "bench" },
    ...extra,
  });
  const hit = (i: number, event_type: "open" | "click", extra: Partial<TrackingHit> = {}): TrackingHit => ({
    kind: "tracking_hit",
    id: crypto.randomUUID(),
    workspace_id: s.workspace_id,
    campaign_id: s.campaign_id,
    recipient_id: s.recipient_ids[i],
    event_type,
    url: null,
    link_index: null,
    occurred_at: at(700 + (i % 600)),
    sent_at: at(0),
    user_agent: "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
    ip_country: "FR",
    traffic_class: "human",
    traffic_reason: null,
    ...extra,
  });
  const share = (p: number) => Math.round(total * p);
  const hard = share(0.015);
  const soft = share(0.005);
  const delivered = share(0.48);
  for (let i = 0; i < delivered; i++) events.push(report(i % n, "delivery"));
  for (let i = 0; i < hard; i++)
    events.push(report((delivered + i) % n, "bounce", { bounce_type: "hard_bounce", reason: "550 5.1.1 user unknown" }));
  for (let i = 0; i < soft; i++)
    events.push(report((delivered + hard + i) % n, "bounce", { bounce_type: "soft_bounce", reason: "452 mailbox full" }));
  for (let i = 0; i < share(0.3); i++) {
    events.push(hit(i % delivered, "open", i % 3 === 0 ? { traffic_class: "proxy", traffic_reason: "apple_mpp" } : {}));
  }
  for (let i = 0; i < share(0.19); i++) {
    const r = Math.floor(i / 2) % delivered;
    events.push(
      hit(r, "click", { url: `https://example.com/article/${i % 2}`, link_index: i % 2, occurred_at: at(1400 + r + (i % 2) * 5) }),
    );
  }
  for (let i = 0; i < share(0.005); i++) events.push(report((1000 + i) % delivered, "complaint", { reason: "abuse" }));
  while (events.length < total) events.push(report((2000 + events.length) % delivered, "unsubscribe"));
  for (let i = events.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [events[i], events[j]] = [events[j], events[i]];
  }
  return events.slice(0, total);
}

async function check(env: Env, campaignId: string) {
  const db = createDb(env.DB);
  const campaign = await db.select().from(emailCampaigns).where(eq(emailCampaigns.id, campaignId)).get();
  const suppressed = await db
    .select({ reason: suppressions.reason, n: sql<number>`count(*)` })
    .from(suppressions)
    .where(eq(suppressions.workspace_id, campaign?.workspace_id ?? ""))
    .groupBy(suppressions.reason);
  const warming = await db
    .select()
    .from(warmingProgress)
    .where(eq(warmingProgress.workspace_id, campaign?.workspace_id ?? ""));
  const logs = await env.DB.prepare("select count(*) as n from provider_event_logs where campaign_id = ?")
    .bind(campaignId)
    .first<{ n: number }>();
  const hits = await env.DB.prepare("select count(*) as n from tracking_events where campaign_id = ?")
    .bind(campaignId)
    .first<{ n: number }>();
  return { campaign, suppressed, warming, provider_event_logs: logs?.n, tracking_events: hits?.n };
}

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    if (url.pathname === "/health") return new Response("ok");
    if (!url.pathname.startsWith("/bench/")) return flarecast.fetch(request, env, ctx);
    if (request.method === "POST" && url.pathname === "/bench/seed") {
      const { recipients } = (await request.json()) as { recipients: number };
      return Response.json(await seed(env, recipients));
    }
    if (request.method === "POST" && url.pathname === "/bench/burst") {
      const body = (await request.json()) as { seed: Seed; events: number };
      const events = burst(body.seed, body.events);
      for (const part of chunk(events, 100)) await env.EVENT_QUEUE.sendBatch(part.map((e) => ({ body: e, contentType: "json" as const })));
      return Response.json({ enqueued: events.length });
    }
    if (url.pathname === "/bench/stats") {
      return Response.json({
        events: eventsConsumed,
        batches: batchesConsumed,
        round_trips: counts,
        consumer_ms: consumerMs,
        d1_ms: d1Ms,
        first_at: firstConsumedAt,
        last_at: lastConsumedAt,
      });
    }
    const checked = url.pathname.match(/^\/bench\/check\/([^/]+)$/);
    if (checked) return Response.json(await check(env, checked[1]));
    return new Response("not found", { status: 404 });
  },

  async queue(batch, env) {
    const started = Date.now();
    firstConsumedAt ??= started;
    await flarecast.queue(batch, { ...env, DB: countingDb(env.DB) });
    consumerMs += Date.now() - started;
    eventsConsumed += batch.messages.length;
    batchesConsumed += 1;
    lastConsumedAt = Date.now();
  },
} satisfies ExportedHandler<Env, unknown>;
