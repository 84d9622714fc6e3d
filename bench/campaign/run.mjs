// `npm run bench:campaign`: a 100,000-recipient campaign on the local stack, side by side in one run with a bare
// baseline that only makes the provider call.
//
//   node bench/campaign/run.mjs [--recipients N] [--provider capture|postmark] [--no-write] [--report-only]
//
//   --recipients   the list's size (default 100000); the baseline sends as many messages
//   --provider     what both send through (default PROVIDER below): `postmark` sends to a local HTTP stand-in of
//                  Postmark's POST /email run by this script; `capture` stores each message in the local D1
//   --no-write     print the section, do not touch bench/RESULTS.md or bench/campaign/results.json
//   --report-only  rewrite the section from bench/campaign/results.json, measuring nothing
//   --profile F    write a CPU profile of the Worker during the campaign to F and print where its time went
//
// It starts the stand-in, applies the migrations to a fresh local D1 in a temporary directory, and starts
// `wrangler dev --config bench/campaign/wrangler.toml` (campaign.worker.ts: the application's Worker and Durable
// Objects, plus a baseline queue) in a process group of its own. Through the public API it creates a workspace, a
// provider, a domain with an identity, a template and two lists; the bench endpoint seeds the subscribers. After a
// warm-up of both paths it times, one after the other (the baseline twice, before and after the campaign, since
// the machine's pace drifts; the campaign is compared with their mean):
//   - the baseline: N messages on a second queue whose consumer only opens the provider session and calls
//     `send` (the same batches and calls in flight as the send consumer); from the first enqueue to the last report;
//   - the campaign: created through the campaigns API, timed from its `POST …/send` to the run being `sent`:
//     fan-out, rate-limited enqueueing, claim, routing, capacity, render, MIME, send, record, completion — the
//     whole engine.
// Throughout, it samples the Worker's workerd process (VmRSS from /proc/<pid>/status) and the Worker's V8 heap
// (Runtime.getHeapUsage through wrangler's inspector), and reads both when 10,000 and N recipients are done.
// At the end it checks every recipient was sent exactly once, stops the group and checks nothing of it is left.
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import os from "node:os";
import path from "node:path";
import { devVars } from "../dev-vars.mjs";
import { fmt, int, wholeNumberOption } from "../figures.mjs";
import { connectInspector } from "../inspector.mjs";
import { busyLoad, loadAverage, machine, machineTable, packageVersion, runTimestamp, workerdVersion } from "../machine.mjs";
import { sleep } from "../process-group.mjs";
import { writeResults, writeResultsSection } from "../results-file.mjs";
import { startWranglerDev, stopWranglerDevOnInterrupt, wranglerSync } from "../wrangler-dev.mjs";

/**
 * The one setting that picks the provider: `postmark` measures sending through an HTTP provider's client to a
 * local stand-in; `capture` (`--provider capture`) stores every message in the local D1 instead.
 */
const PROVIDER = "postmark";

const ROOT = path.resolve(import.meta.dirname, "../..");
const HEADING = "## Campaign send: 100,000 recipients against a bare baseline";
const RESULTS_JSON = path.join(ROOT, "bench/campaign/results.json");
const CONFIG = "bench/campaign/wrangler.toml";
const args = process.argv.slice(2);
const RECIPIENTS = wholeNumberOption("recipients", 100_000);
const PROVIDER_TYPE = args.includes("--provider") ? args[args.indexOf("--provider") + 1] : PROVIDER;
const WRITE = !args.includes("--no-write");
const REPORT_ONLY = args.includes("--report-only");
/** Writes a CPU profile of the Worker during the campaign to this file and prints where its time went (slows the run). */
const PROFILE = args.includes("--profile") ? path.resolve(args[args.indexOf("--profile") + 1]) : null;
const WARM = 500;
/** The first memory reading; a tenth of the list when --recipients is below 100,000. */
const MEMORY_POINT = Math.min(10_000, Math.floor(RECIPIENTS / 10));
/** The campaigns API's highest send_rate_per_minute (16,667 enqueues per second): the engine, not the setting, sets the pace. */
const RATE_PER_MINUTE = 1_000_000;
const TARGET_RATIO = 0.5;
const TIMEOUT_MS = 90 * 60_000;

if (!["capture", "postmark"].includes(PROVIDER_TYPE)) throw new Error("--provider takes capture or postmark");

const log = (...a) => console.error("[bench:campaign]", ...a);
const TMP = mkdtempSync(path.join(os.tmpdir(), "flarecast-bench-campaign-"));
let dev = null;
let standIn = null;

stopWranglerDevOnInterrupt(() => rmSync(TMP, { recursive: true, force: true }));

/**
 * Postmark's POST /email, answered at once, and the reads its probe makes; it also takes the baseline consumer's
 * per-batch reports. It counts every accepted message and each distinct recipient address.
 */
function startStandIn() {
  const state = { emails: 0, distinctTo: new Set(), baseline: { sent: 0, failed: 0, last_error: null, at: [] } };
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      const send = (status, json) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(json));
      };
      if (req.method === "POST" && req.url === "/email") {
        const message = JSON.parse(body);
        state.emails++;
        state.distinctTo.add(message.To);
        return send(200, { To: message.To, SubmittedAt: new Date().toISOString(), MessageID: randomUUID(), ErrorCode: 0, Message: "OK" });
      }
      if (req.method === "GET" && req.url === "/server") return send(200, { Name: "Bench stand-in", DeliveryType: "Live" });
      if (req.method === "GET" && req.url.startsWith("/message-streams/")) {
        return send(200, { ID: decodeURIComponent(req.url.split("/")[2]), MessageStreamType: "Broadcasts", ArchivedAt: null });
      }
      if (req.method === "POST" && req.url === "/_bench/baseline") {
        const report = JSON.parse(body);
        state.baseline.sent += report.sent;
        state.baseline.failed += report.failed;
        if (report.last_error) state.baseline.last_error = report.last_error;
        return send(200, {});
      }
      send(404, { ErrorCode: 404, Message: "not found" });
    });
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => resolve({ origin: `http://127.0.0.1:${server.address().port}`, state, server }));
  });
}

async function call(method, urlPath, { token, json } = {}) {
  const init = { method, headers: {} };
  if (token) init.headers.authorization = `Bearer ${token}`;
  if (json !== undefined) {
    init.headers["content-type"] = "application/json";
    init.body = JSON.stringify(json);
  }
  const res = await fetch(`${dev.origin}${urlPath}`, init);
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${urlPath} answered ${res.status}: ${text}`);
  return JSON.parse(text);
}

function rssKb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(status.match(/^VmRSS:\s+(\d+) kB/m)[1]);
}

/** The Worker's V8 heap through wrangler's inspector; null when it does not answer. */
async function inspector(port) {
  const { call, close } = await connectInspector(port);
  return {
    heapUsed: async () => (await call("Runtime.getHeapUsage"))?.usedSize ?? null,
    /** The heap after a full collection: what the Worker retains, without garbage. */
    liveHeap: async () => {
      await call("HeapProfiler.collectGarbage", {}, 10_000);
      return (await call("Runtime.getHeapUsage"))?.usedSize ?? null;
    },
    startProfile: async () => {
      await call("Profiler.enable");
      await call("Profiler.setSamplingInterval", { interval: 1000 });
      await call("Profiler.start");
    },
    stopProfile: async () => (await call("Profiler.stop", {}, 60_000))?.profile ?? null,
    close,
  };
}

/** The functions the most samples of a CPU profile were in (self time), as ["name file:line", ms]. */
function topSelfTime(profile, n = 25) {
  const interval = (profile.endTime - profile.startTime) / 1000 / profile.samples.length;
  const counts = new Map();
  for (const id of profile.samples) counts.set(id, (counts.get(id) ?? 0) + 1);
  const byFunction = new Map();
  for (const node of profile.nodes) {
    const f = node.callFrame;
    const key = `${f.functionName || "(anonymous)"} ${f.url.replace(/^.*\/(node_modules|src|bench)\//, "$1/")}:${f.lineNumber + 1}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + (counts.get(node.id) ?? 0) * interval);
  }
  return [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, n);
}

/**
 * Samples memory every second while `done()` (recipients finished so far) moves; returns the timeline and the
 * readings taken when 10,000 and all recipients were done. V8's used heap includes garbage not collected yet, so
 * each reading also gives the lowest heap of the 10 s before it (the heap just after a collection).
 */
function memorySampler(workerPid, heap, t0) {
  const timeline = [];
  const sample = async (done) => {
    const entry = {
      t_s: (performance.now() - t0) / 1000,
      done,
      rss_mb: rssKb(workerPid) / 1024,
      heap_mb: ((await heap.heapUsed()) ?? NaN) / 2 ** 20,
    };
    timeline.push(entry);
    return entry;
  };
  const reading = async (entry) => ({
    ...entry,
    peak_rss_mb: Math.max(...timeline.map((e) => e.rss_mb)),
    live_heap_mb: ((await heap.liveHeap()) ?? NaN) / 2 ** 20,
  });
  return { timeline, sample, reading };
}

async function waitFor(what, done, total, t0, sampler) {
  const marks = {};
  for (;;) {
    const n = await done();
    const entry = await sampler.sample(n);
    if (n >= MEMORY_POINT && !marks.at10k) marks.at10k = await sampler.reading(entry);
    // Compared with the first reading while as much is in flight: the last point before the list runs out.
    if (n >= total - MEMORY_POINT && n < total && !marks.nearEnd) marks.nearEnd = await sampler.reading(entry);
    if (n >= total) {
      marks.atEnd = await sampler.reading(entry);
      marks.nearEnd ??= marks.atEnd;
      return marks;
    }
    if (sampler.timeline.length % 15 === 0)
      log(
        `${what}: ${int(n)} of ${int(total)} after ${fmt(entry.t_s, 0)} s, workerd RSS ${fmt(entry.rss_mb, 0)} MB, heap ${fmt(entry.heap_mb, 1)} MB`,
      );
    if (performance.now() - t0 > TIMEOUT_MS)
      throw new Error(`${what} did not finish within ${TIMEOUT_MS / 60_000} minutes (${n} of ${total})`);
    await sleep(1000);
  }
}

async function setup() {
  const { vars } = devVars();
  const ws = await call("POST", "/workspaces", {
    token: vars.ADMIN_TOKEN,
    json: { name: "Campaign bench", timezone: "UTC", postal_address: "1 Bench Street" },
  });
  const token = ws.api_key.key;
  const base = `/workspaces/${ws.id}`;
  const provider = await call("POST", `${base}/email-infrastructure/providers`, {
    token,
    json:
      PROVIDER_TYPE === "capture"
        ? { name: "Capture", provider_type: "capture", credentials: {}, is_default: true }
        : {
            name: "Postmark stand-in",
            provider_type: "postmark",
            credentials: { server_token: "bench-server-token", message_stream: "outbound" },
            settings: { base_url: standIn.origin },
            is_default: true,
          },
  });
  const host = "news.bench.example";
  const domain = await call("POST", `${base}/email-infrastructure/domains`, {
    token,
    json: { domain: host, default_from_name: "Bench News" },
  });
  if (PROVIDER_TYPE !== "capture") await call("POST", "/bench/verify-domain", { json: { domain_id: domain.id } });
  await call("POST", `${base}/email-infrastructure/identities`, {
    token,
    json: { domain_id: domain.id, email: `news@${host}`, is_default: true },
  });
  const template = await call("POST", `${base}/email-marketing/templates`, {
    token,
    json: {
      name: "Bench newsletter",
      subject_template: "Hello {{ first_name | default: 'friend' }}",
      body_html:
        "<p>Hi {{ first_name | default: 'friend' }}, news for {{ email }}.</p><p>Everything that happened this week, in one place.</p><a href=\"{{ unsubscribe_url }}\">Unsubscribe</a>",
    },
  });
  const list = await call("POST", `${base}/email-marketing/lists`, { token, json: { name: "Bench" } });
  const warmList = await call("POST", `${base}/email-marketing/lists`, { token, json: { name: "Warm-up" } });
  const seed = async (listId, from, count) => {
    for (let i = from; i < from + count; i += 10_000) {
      await call("POST", "/bench/subscribers", {
        json: { workspace_id: ws.id, list_id: listId, from: i, count: Math.min(10_000, from + count - i) },
      });
    }
  };
  const t0 = performance.now();
  await seed(warmList.id, 0, WARM);
  await seed(list.id, WARM, RECIPIENTS);
  log(`seeded ${int(RECIPIENTS + WARM)} subscribers in ${fmt((performance.now() - t0) / 1000, 1)} s`);
  return {
    token,
    base,
    workspaceId: ws.id,
    providerId: provider.id,
    domainId: domain.id,
    templateId: template.id,
    listId: list.id,
    warmListId: warmList.id,
  };
}

async function baseline(s, count, from, sampler) {
  const startSent = standIn.state.baseline.sent + standIn.state.baseline.failed;
  const t0 = performance.now();
  // Enqueued in requests of 10,000 so that the consumer starts while the rest is still being enqueued.
  const enqueueing = (async () => {
    for (let i = 0; i < count; i += 10_000) {
      await call("POST", "/bench/baseline", {
        json: {
          workspace_id: s.workspaceId,
          provider_id: s.providerId,
          domain_id: s.domainId,
          from: from + i,
          count: Math.min(10_000, count - i),
        },
      });
    }
  })();
  const done = async () => standIn.state.baseline.sent + standIn.state.baseline.failed - startSent;
  const marks = sampler ? await waitFor("baseline", done, count, t0, sampler) : await waitUntil(done, count);
  await enqueueing;
  const seconds = (performance.now() - t0) / 1000;
  return {
    count,
    seconds,
    recipients_per_s: count / seconds,
    failed: standIn.state.baseline.failed,
    last_error: standIn.state.baseline.last_error,
    marks,
  };
}

async function waitUntil(done, total) {
  const t0 = performance.now();
  while ((await done()) < total) {
    if (performance.now() - t0 > 10 * 60_000) throw new Error(`warm-up stuck at ${await done()} of ${total}`);
    await sleep(500);
  }
}

async function campaign(s, listId, count, sampler) {
  const emailsBefore = standIn.state.emails;
  const created = await call("POST", `${s.base}/email-marketing/campaigns`, {
    token: s.token,
    json: { name: `Bench ${listId}`, template_id: s.templateId, list_id: listId, send_rate_per_minute: RATE_PER_MINUTE },
  });
  const t0 = performance.now();
  const { current_run_id: runId } = await call("POST", `${s.base}/email-marketing/campaigns/${created.id}/send`, { token: s.token });
  let last = null;
  let fanoutDoneS = null;
  const done = async () => {
    last = await call("GET", `/bench/runs/${runId}`);
    if (last.run.fanout_completed_at && fanoutDoneS === null) fanoutDoneS = (performance.now() - t0) / 1000;
    const finished = last.run.sent_count + last.run.failed_count + last.run.unknown_count;
    // The counters are a running view; the run is over only when it is `sent` (recountRun makes them exact).
    return last.run.status === "sent" ? count : Math.min(finished, count - 1);
  };
  const marks = sampler ? await waitFor("campaign", done, count, t0, sampler) : await waitUntil(done, count);
  const seconds = (performance.now() - t0) / 1000;
  const check = await call("GET", `/bench/runs/${runId}/check`);
  const sentRows = check.by_status.filter((r) => r.status === "sent").reduce((a, r) => a + r.n, 0);
  const problems = [];
  if (last.run.total_recipients !== count) problems.push(`total_recipients ${last.run.total_recipients}, expected ${count}`);
  if (sentRows !== count) problems.push(`recipients sent ${sentRows} of ${count}: ${JSON.stringify(check.by_status)}`);
  if (PROVIDER_TYPE === "capture" && (check.captured.messages !== count || check.captured.recipients !== count))
    problems.push(`captured ${check.captured.messages} messages for ${check.captured.recipients} recipients, expected ${count} each`);
  if (PROVIDER_TYPE === "postmark" && standIn.state.emails - emailsBefore !== count)
    problems.push(`the stand-in received ${standIn.state.emails - emailsBefore} messages, expected ${count}`);
  return {
    run_id: runId,
    count,
    seconds,
    fanout_seconds: fanoutDoneS,
    recipients_per_s: count / seconds,
    run: last.run,
    dispatcher: last.dispatcher,
    by_status: check.by_status,
    captured: check.captured,
    problems,
    marks,
  };
}

const heapsOf = (timeline) => timeline.map((e) => e.heap_mb).filter(Number.isFinite);

function memoryRow(label, m) {
  const rss = (x) => `${fmt(x.rss_mb, 0)} MB`;
  return `| ${label} | ${rss(m.at10k)} | ${rss(m.atEnd)} | ${fmt(m.atEnd.rss_mb - m.at10k.rss_mb, 0)} MB | ${fmt(m.at10k.live_heap_mb, 1)} MB | ${fmt(m.nearEnd.live_heap_mb, 1)} MB (${int(m.nearEnd.done)} done) |`;
}

/** The baseline the campaign is compared with: the mean of the runs before and after it (older results have one). */
const baselineRateOf = ({ baseline: b, baseline_after: b2 }) => (b2 ? (b.recipients_per_s + b2.recipients_per_s) / 2 : b.recipients_per_s);

function report(all) {
  const { mach, baseline: b, baseline_after: b2, campaign: c } = all;
  const baselineRate = baselineRateOf(all);
  const ratio = c.recipients_per_s / baselineRate;
  const live = { first: c.marks.at10k.live_heap_mb, last: c.marks.nearEnd.live_heap_mb };
  const heapGrowth = live.last - live.first;
  // "Does not grow": what the Worker retains near the end of the list is within a tenth of what it held at the first point.
  const memoryMet = heapGrowth <= live.first * 0.1;
  const during = all.timelines.campaign.filter((e) => e.t_s <= c.fanout_seconds).at(-1) ?? { t_s: 0, done: 0 };
  const fanoutRate = during.t_s > 0 ? during.done / during.t_s : NaN;
  const afterRate = (c.count - during.done) / (c.seconds - during.t_s);
  const busiest = busyLoad(mach);
  const providerLine =
    all.provider === "capture"
      ? "`capture` (each message stored whole in the local D1, `captured_messages`), chosen with `--provider capture`."
      : `\`postmark\`, through Postmark's client to a local HTTP stand-in of \`POST /email\` (a Node server in the runner, answering \`{"MessageID": …, "ErrorCode": 0}\` at once; ${int(all.stand_in_emails)} messages received in all).`;
  return `${HEADING}

Generated by \`npm run bench:campaign\` (\`node bench/campaign/run.mjs\`) on ${all.when}; the run took ${fmt(all.elapsedS / 60, 1)} minutes.
Raw figures: \`bench/campaign/results.json\`. Provider: ${providerLine}

### Summary

| | Recipients | Time | Recipients/s |
|---|---:|---:|---:|
${[
  `| Baseline: a consumer that only makes the provider call${b2 ? ", before the campaign" : ""} | ${int(b.count)} | ${fmt(b.seconds, 1)} s | ${b2 ? fmt(b.recipients_per_s, 0) : `**${fmt(b.recipients_per_s, 0)}**`} |`,
  ...(b2
    ? [
        `| Baseline again, after the campaign | ${int(b2.count)} | ${fmt(b2.seconds, 1)} s | ${fmt(b2.recipients_per_s, 0)} |`,
        `| Baseline: the mean of the two | | | **${fmt(baselineRate, 0)}** |`,
      ]
    : []),
  `| Campaign: the whole engine, from \`POST …/send\` to the run \`sent\` | ${int(c.count)} | ${fmt(c.seconds, 1)} s (${fmt(c.seconds / 60, 1)} min) | **${fmt(c.recipients_per_s, 0)}** |`,
].join("\n")}

- **Ratio: ${fmt(ratio, 2)}× the baseline**${b2 ? " (the mean of the runs before and after the campaign: on this shared machine the same baseline has measured anywhere from 2,000 to 3,400/s, so one run alone says little)" : ""} — target ≥ ${TARGET_RATIO}×: **${ratio >= TARGET_RATIO ? "met" : "not met"}**.
- **Memory**: the Worker's live V8 heap (after a full collection, see below) was ${fmt(live.first, 1)} MB at ${int(c.marks.at10k.done)} recipients and ${fmt(live.last, 1)} MB at ${int(c.marks.nearEnd.done)} of ${int(c.count)} (${heapGrowth >= 0 ? "+" : ""}${fmt(heapGrowth, 1)} MB); the workerd process's RSS ${fmt(c.marks.at10k.rss_mb, 0)} MB and ${fmt(c.marks.atEnd.rss_mb, 0)} MB. Target "does not grow with the list" (live heap within 10 % of the first reading): **${memoryMet ? "met" : "not met"}**.
- **Exactly once**: ${c.problems.length === 0 ? `every one of the ${int(c.count)} recipients is \`sent\`, with ${all.provider === "capture" ? `${int(c.captured.messages)} captured messages for ${int(c.captured.recipients)} distinct recipients` : "one message each at the stand-in"}.` : `**problems**: ${c.problems.join("; ")}`}
- The campaign's \`send_rate_per_minute\` was ${int(RATE_PER_MINUTE)} (the API's highest, ${int(RATE_PER_MINUTE / 60)} enqueues/s), ${afterRate < (RATE_PER_MINUTE / 60) * 0.9 ? "above the rate reached, so the rate limit was not the bottleneck" : "and the run reached it: the rate limit set the pace"}. Fan-out (all ${int(c.count)} recipient rows written) finished ${fmt(c.fanout_seconds, 0)} s after the send, while sends were already under way: ${int(during.done)} recipients were done by then (${fmt(fanoutRate, 0)}/s: under \`wrangler dev\` the dispatcher, the consumer and the local D1 share one workerd process, and while the dispatcher walks the list the consumer's provider calls take about 200 ms each instead of 3; in production each runs in its own isolate), ${fmt(afterRate, 0)}/s after it.
${b.failed ? `- The baseline had ${int(b.failed)} failed calls; last error: ${b.last_error}` : ""}

### Memory at ${int(all.memory_point)} and ${int(c.count)} recipients

| | RSS at ${int(all.memory_point)} | RSS at ${int(c.count)} | RSS change | Live V8 heap at ${int(all.memory_point)} | Live V8 heap near the end |
|---|---:|---:|---:|---:|---:|
${memoryRow("Baseline", b.marks)}
${memoryRow("Campaign", c.marks)}

RSS is VmRSS of the Worker's workerd process, read from \`/proc/<pid>/status\`: it holds the Worker's isolate and
also the local D1 (SQLite, whose page cache grows with the database: ${int(c.count)} subscribers, as many recipient rows and
${all.provider === "capture" ? "twice as many captured messages" : "the run's writes"}) and the local queue broker (which keeps undelivered messages in memory). The V8 heap,
read through the inspector about once a second, is the Worker's own memory (its handlers and Durable Objects share one
isolate under \`wrangler dev\`). Used heap includes garbage not yet collected, so the two compared readings are taken
right after a full collection (\`HeapProfiler.collectGarbage\`): at ${int(all.memory_point)} recipients and at the first reading
within the last ${int(all.memory_point)}, both while batches are in flight. Read once a second without a collection, the heap ranged ${fmt(Math.min(...heapsOf(all.timelines.campaign)), 1)}–${fmt(Math.max(...heapsOf(all.timelines.campaign)), 1)} MB. Peak RSS during the campaign: ${fmt(c.marks.atEnd.peak_rss_mb, 0)} MB.

### How it ran

- \`wrangler dev --config bench/campaign/wrangler.toml\`: \`bench/campaign/campaign.worker.ts\` re-exports the
  application's Worker (fetch, the send queue's consumer) and its Durable Objects, with local D1, Queues and
  Durable Objects in a temporary \`--persist-to\` directory; the send queue has the root wrangler.toml's settings
  (batches of 100). The baseline queue has the same batch settings; its consumer opens the provider session once per
  batch and calls \`send\` ${10} at a time (as the send consumer does), one ready-made message per queue message.
- Setup through the public API (workspace, provider, domain, identity, template, lists); ${int(c.count)} subscribers
  seeded by a bench endpoint (and, for an HTTP provider, the domain marked verified: there is no DNS here). The
  campaign is created and sent through the campaigns API (\`POST …/campaigns\`, then \`POST …/campaigns/{id}/send\`).
- A warm-up of ${WARM} recipients through each path ran first, untimed. Then the baseline, the campaign and the baseline again, one after
  the other in the same \`wrangler dev\`. The runner (and the stand-in) ran in Node on the same machine.

### Machine

${machineTable(mach, [
  ["Node", `${mach.node} (the project's \`node\` devDependency)`],
  ["wrangler / workerd", `wrangler ${mach.wrangler} (\`wrangler dev\`), ${mach.workerd_binary} (npm \`workerd\` ${mach.workerd})`],
])}

The machine is shared${busiest ? ` and **was busy during this run** (1-minute load up to ${busiest} on ${mach.nproc} CPUs): expect the rates to be understated` : ""}.

### Cleanup

- ${all.stop}.
- The temporary directory (D1, queues, Durable Object storage) was removed.

### Reproduce

\`\`\`sh
npm run bench:campaign                                          # about ${Math.max(1, Math.round(all.elapsedS / 60))} min; rewrites this section and bench/campaign/results.json
node bench/campaign/run.mjs --recipients 20000 --no-write      # quicker: prints the section, writes nothing
node bench/campaign/run.mjs --provider capture                  # through the capture provider instead of the HTTP stand-in
\`\`\`
`;
}

async function main() {
  if (REPORT_ONLY) {
    writeResultsSection(ROOT, HEADING, report(JSON.parse(readFileSync(RESULTS_JSON, "utf8"))));
    log(`rewrote the "${HEADING}" section of bench/RESULTS.md from bench/campaign/results.json`);
    return;
  }
  const started = Date.now();
  const when = runTimestamp();
  const mach = machine({
    wrangler: packageVersion("wrangler"),
    workerd: packageVersion("workerd"),
    workerd_binary: workerdVersion() ?? "(workerd --version failed)",
  });
  standIn = await startStandIn();
  const persistTo = path.join(TMP, "state");
  log(`applying migrations to a fresh local D1 in ${persistTo}`);
  wranglerSync(["d1", "migrations", "apply", "DB", "--local", "--config", CONFIG, "--persist-to", persistTo]);
  let result;
  let stop;
  try {
    dev = await startWranglerDev({
      config: CONFIG,
      persistTo,
      envFile: path.join(ROOT, devVars().file),
      args: ["--log-level", "warn", "--var", `BENCH_REPORT_URL:${standIn.origin}`],
      env: { CI: "1" },
      isReady: async (res) => res.ok && (await res.text()) === "ok",
      log,
    });
    const worker = dev
      .members()
      .filter((p) => p.comm === "workerd")
      .find((p) => readFileSync(`/proc/${p.pid}/cmdline`, "utf8").includes("--inspector-addr"));
    if (!worker) throw new Error("no workerd process of the Worker found in wrangler's process group");
    const heap = await inspector(dev.inspectorPort);
    const s = await setup();

    log(`warm-up: ${WARM} through each path`);
    await baseline(s, WARM, 0, null);
    const warm = await campaign(s, s.warmListId, WARM, null);
    if (warm.problems.length) throw new Error(`warm-up campaign: ${warm.problems.join("; ")}`);

    log(`baseline: ${int(RECIPIENTS)} provider calls`);
    const t0 = performance.now();
    const baselineMemory = memorySampler(worker.pid, heap, t0);
    const b = await baseline(s, RECIPIENTS, WARM, baselineMemory);
    log(`baseline: ${fmt(b.recipients_per_s, 0)} recipients/s (${fmt(b.seconds, 1)} s)`);

    log(`campaign: ${int(RECIPIENTS)} recipients`);
    const campaignMemory = memorySampler(worker.pid, heap, performance.now());
    if (PROFILE) await heap.startProfile();
    const c = await campaign(s, s.listId, RECIPIENTS, campaignMemory);
    if (PROFILE) {
      const profile = await heap.stopProfile();
      writeFileSync(PROFILE, JSON.stringify(profile));
      log(`CPU profile of the campaign written to ${PROFILE}; self time by function:`);
      for (const [where, ms] of topSelfTime(profile)) log(`  ${fmt(ms, 0).padStart(7)} ms  ${where}`);
    }
    log(`campaign: ${fmt(c.recipients_per_s, 0)} recipients/s (${fmt(c.seconds, 1)} s)`);
    log(`baseline again: ${int(RECIPIENTS)} provider calls`);
    const b2 = await baseline(s, RECIPIENTS, WARM + RECIPIENTS, null);
    result = { baseline: b, baseline_after: b2, campaign: c };
    log(
      `baseline again: ${fmt(b2.recipients_per_s, 0)} recipients/s (${fmt(b2.seconds, 1)} s); ratio ${fmt(c.recipients_per_s / baselineRateOf(result), 2)}`,
    );
    heap.close();
    result.timelines = { baseline: baselineMemory.timeline, campaign: campaignMemory.timeline };
    result.stand_in_emails = standIn.state.emails;
  } finally {
    stop = dev ? (await dev.stop()).summary : "";
    dev = null;
    standIn.server.close();
  }
  mach.loadavg_end = loadAverage();
  const elapsedS = Math.round((Date.now() - started) / 1000);
  const all = {
    when,
    elapsedS,
    mach,
    provider: PROVIDER_TYPE,
    rate_per_minute: RATE_PER_MINUTE,
    recipients: RECIPIENTS,
    memory_point: MEMORY_POINT,
    ...result,
    stop,
  };
  const section = report(all);
  if (WRITE) {
    writeResults(ROOT, HEADING, section, RESULTS_JSON, all);
    log(`wrote the "${HEADING}" section of bench/RESULTS.md and bench/campaign/results.json`);
  } else {
    process.stdout.write(section);
  }
  if (all.campaign.problems.length) {
    log(`problems: ${all.campaign.problems.join("; ")}`);
    process.exitCode = 1;
  }
}

try {
  await main();
} finally {
  if (dev) await dev.stop().catch((e) => log(String(e)));
  rmSync(TMP, { recursive: true, force: true });
}
