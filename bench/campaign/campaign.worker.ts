// The campaign benchmark Worker, run inside workerd by `wrangler dev --config bench/campaign/wrangler.toml` (see
// run.mjs). Everything the application does goes through its own handlers and Durable Objects, re-exported here;
// the bench adds what has no API (seeding at scale, a domain verified without DNS, read-outs) and the baseline:
//   GET  /health
//   POST /bench/subscribers {workspace_id, list_id, from, count}   subscribers r<from>…@bench.example on the list
//   POST /bench/verify-domain {domain_id}           marks the domain verified (a provider other than capture needs it)
//   GET  /bench/runs/<run_id>                       the run's status and counters, the dispatcher's progress
//   GET  /bench/runs/<run_id>/check                 recipients by status and provider calls per recipient (slow: at the end)
//   POST /bench/baseline {workspace_id, provider_id, domain_id, from, count}
//                                                    `count` messages on BASELINE_QUEUE, 100 per sendBatch call
// The baseline consumer only makes the provider call: per batch it opens the same ProviderSession the send
// consumer uses and sends one ready-made message per queue message, with the same calls in flight as a send
// batch; after each batch it reports what it sent to BENCH_REPORT_URL (the runner's HTTP server).
import { and, count, eq, sql } from "drizzle-orm";
import { createDb } from "../../src/db/client";
import { campaignRecipients, campaignRuns, capturedMessages, emailProviders, sendingDomains } from "../../src/db/schema";
import { SEND_CONCURRENCY } from "../../src/domain/campaigns/deliver";
import { ProviderSession } from "../../src/domain/campaigns/provider-session";
import { sendingHost } from "../../src/domain/domains/sending-domains";
import { readConfig } from "../../src/env";
import flarecast from "../../src/index";
import { chunk } from "../../src/lib/chunk";
import { randomBase62 } from "../../src/lib/crypto";
import { newId } from "../../src/lib/ids";
import { composeMessage } from "../../src/mail/compose";
import type { OutgoingMessage } from "../../src/provider-clients/contract";

export { CampaignDispatcher, DomainThrottle, ProviderLimiter } from "../../src/index";

const BASELINE_QUEUE = "flarecast-bench-baseline";

interface BaselineMessage {
  workspace_id: string;
  provider_id: string;
  domain_id: string;
  seq: number;
}

type BenchEnv = Env & { BASELINE_QUEUE: Queue<BaselineMessage>; BENCH_REPORT_URL: string };

/** The subscribers as rows of one JSON parameter (D1 binds at most 100 parameters). */
async function seedSubscribers(env: BenchEnv, body: { workspace_id: string; list_id: string; from: number; count: number }) {
  const insertSubscribers =
    env.DB.prepare(`insert into subscribers (id, workspace_id, email, name, preference_token, attributes, created_at, updated_at)
    select json_extract(value, '$.id'), ?2, json_extract(value, '$.email'), json_extract(value, '$.name'),
      json_extract(value, '$.token'), json_object('first_name', json_extract(value, '$.first')), ?3, ?3
    from json_each(?1)`);
  const insertMemberships = env.DB.prepare(`insert into list_memberships (workspace_id, list_id, subscriber_id, created_at)
    select ?2, ?3, json_extract(value, '$.id'), ?4 from json_each(?1)`);
  for (let start = body.from; start < body.from + body.count; start += 1000) {
    const end = Math.min(body.from + body.count, start + 1000);
    const rows = [];
    for (let i = start; i < end; i++) {
      rows.push({ id: newId("sub"), email: `r${i}@bench.example`, name: `Reader ${i}`, token: randomBase62(24), first: `Reader${i}` });
    }
    const json = JSON.stringify(rows);
    const now = new Date().toISOString();
    await env.DB.batch([
      insertSubscribers.bind(json, body.workspace_id, now),
      insertMemberships.bind(json, body.workspace_id, body.list_id, now),
    ]);
  }
  return { seeded: body.count };
}

async function runProgress(env: BenchEnv, runId: string) {
  const db = createDb(env.DB);
  const run = await db.select().from(campaignRuns).where(eq(campaignRuns.id, runId)).get();
  if (!run) return null;
  const dispatcher = await env.CAMPAIGN_DISPATCHER.getByName(runId).progress();
  return { run, dispatcher };
}

/** The end-of-run check: every recipient's status, and how many provider calls each got (capture only). */
async function checkRun(env: BenchEnv, runId: string) {
  const db = createDb(env.DB);
  const byStatus = await db
    .select({ status: campaignRecipients.status, reason: campaignRecipients.failure_reason, n: count() })
    .from(campaignRecipients)
    .where(eq(campaignRecipients.run_id, runId))
    .groupBy(campaignRecipients.status, campaignRecipients.failure_reason);
  const run = await db.select().from(campaignRuns).where(eq(campaignRuns.id, runId)).get();
  const captured = await db
    .select({ messages: count(), recipients: sql<number>`count(distinct ${capturedMessages.recipient_id})` })
    .from(capturedMessages)
    .where(and(eq(capturedMessages.campaign_id, run?.campaign_id ?? "")))
    .get();
  return { by_status: byStatus, captured };
}

async function enqueueBaseline(env: BenchEnv, body: Omit<BaselineMessage, "seq"> & { from: number; count: number }) {
  const seqs = Array.from({ length: body.count }, (_, i) => body.from + i);
  for (const part of chunk(seqs, 100)) {
    await env.BASELINE_QUEUE.sendBatch(
      part.map((seq) => ({
        body: { workspace_id: body.workspace_id, provider_id: body.provider_id, domain_id: body.domain_id, seq },
        contentType: "json" as const,
      })),
    );
  }
  return { enqueued: body.count };
}

/** A message of the size a campaign send has, composed once per batch: the baseline measures the provider call alone. */
function baselineMessage(host: string, workspaceId: string): OutgoingMessage {
  return composeMessage({
    date: new Date(),
    sendingDomain: host,
    from: { email: `news@${host}`, name: "Bench News" },
    to: { email: "r0@bench.example", name: "Reader 0" },
    subject: "Hello Reader0",
    html: '<p>Hi Reader0, news for r0@bench.example.</p><p>Everything that happened this week, in one place.</p><a href="https://example.com/u">Unsubscribe</a>',
    text: "Hi Reader0, news for r0@bench.example.\n\nEverything that happened this week, in one place.\n\nUnsubscribe: https://example.com/u",
    unsubscribeUrl: "https://example.com/u",
    tags: { workspace_id: workspaceId, campaign_id: "cmp_baseline", recipient_id: "baseline" },
    stream: "broadcast",
  });
}

async function consumeBaseline(batch: MessageBatch<BaselineMessage>, env: BenchEnv) {
  const first = batch.messages[0].body;
  const db = createDb(env.DB);
  const config = readConfig(env);
  const session = new ProviderSession(db, first.workspace_id, { encryptionKey: config.ENCRYPTION_KEY });
  const provider = await db.select().from(emailProviders).where(eq(emailProviders.id, first.provider_id)).get();
  const domain = await db.select().from(sendingDomains).where(eq(sendingDomains.id, first.domain_id)).get();
  session.adopt(provider ? [provider] : [], domain ? [domain] : []);
  const template = baselineMessage(domain ? sendingHost(domain) : "bench.example", first.workspace_id);
  let sent = 0;
  let failed = 0;
  let lastError: string | null = null;
  for (const part of chunk(batch.messages, SEND_CONCURRENCY)) {
    await Promise.all(
      part.map(async (m) => {
        const { seq } = m.body;
        const message: OutgoingMessage = {
          ...template,
          messageId: `${seq}.${template.messageId}`,
          to: { email: `r${seq}@bench.example`, name: `Reader ${seq}` },
          tags: { ...template.tags, recipient_id: `baseline-${seq}` },
        };
        try {
          await session.send(m.body.provider_id, m.body.domain_id, message);
          sent++;
        } catch (error) {
          failed++;
          lastError = String(error);
        }
        m.ack();
      }),
    );
  }
  await fetch(`${env.BENCH_REPORT_URL}/_bench/baseline`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ sent, failed, last_error: lastError }),
  });
}

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    if (url.pathname === "/health") return new Response("ok");
    if (!url.pathname.startsWith("/bench/")) return flarecast.fetch(request, env, ctx);
    const json = async <T>() => (await request.json()) as T;
    if (request.method === "POST" && url.pathname === "/bench/subscribers") return Response.json(await seedSubscribers(env, await json()));
    if (request.method === "POST" && url.pathname === "/bench/verify-domain") {
      const { domain_id } = await json<{ domain_id: string }>();
      await createDb(env.DB)
        .update(sendingDomains)
        .set({ status: "verified", verified_at: new Date().toISOString() })
        .where(eq(sendingDomains.id, domain_id));
      return Response.json({ verified: domain_id });
    }
    if (request.method === "POST" && url.pathname === "/bench/baseline") return Response.json(await enqueueBaseline(env, await json()));
    const check = url.pathname.match(/^\/bench\/runs\/([^/]+)\/check$/);
    if (check) return Response.json(await checkRun(env, check[1]));
    const run = url.pathname.match(/^\/bench\/runs\/([^/]+)$/);
    if (run) {
      const progress = await runProgress(env, run[1]);
      return progress ? Response.json(progress) : new Response("no such run", { status: 404 });
    }
    return new Response("not found", { status: 404 });
  },

  async queue(batch, env) {
    if (batch.queue === BASELINE_QUEUE) return consumeBaseline(batch as MessageBatch<BaselineMessage>, env);
    return flarecast.queue(batch, env);
  },
} satisfies ExportedHandler<BenchEnv, unknown>;
