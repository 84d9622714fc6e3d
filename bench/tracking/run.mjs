// `npm run bench:tracking`: open-pixel requests/s on the local stack, side by side in one run with a bare Worker
// that answers the same GIF and nothing else: the pixel's request path alone, and the whole stack with the event
// consumer recording every hit in the same workerd process. A second copy of the bare Worker, measured like the
// others, shows how far apart two identical Workers read: the resolution of the ratios.
//
//   node bench/tracking/run.mjs [--seconds N] [--concurrency N] [--rounds N] [--local-tracing] [--no-pin] [--no-write]
//                               [--report-only]
//
//   --seconds      length of each timed phase (default 4)
//   --concurrency  requests in flight (default 16)
//   --rounds       rounds of one phase per Worker, in an order that rotates from round to round (default 12)
//   --local-tracing  keep wrangler's local tracing on (off by default, for every Worker)
//   --no-pin       let the scheduler place the load generator and the Workers (by default the load generator runs on
//                  CPU 0 and the Workers on the others, when there are two or more and taskset is installed)
//   --no-write     print the section, do not touch bench/RESULTS.md or bench/tracking/results.json
//   --report-only  rewrite the section from bench/tracking/results.json, measuring nothing
//
// It pins itself (the load generator) to CPU 0, applies the migrations to a fresh local D1 in a temporary directory,
// seeds a campaign with a sent recipient per pixel token, and starts four `wrangler dev` groups on the other CPUs:
// the baseline and its copy (bench/tracking/wrangler.toml, bare.worker.ts), the request path (the real Worker,
// wrangler.toml without the event queue's consumer) and the full stack (wrangler.toml as it is). It signs pixel
// tokens with the dev key (.dev.vars, else .dev.vars.example) by the documented format, checks the application
// verifies them (a click token made the same way must redirect), warms every Worker up, then times `rounds` rounds
// of one phase per Worker, each round starting one Worker later than the one before, so every Worker runs as often
// in each position. Each phase keeps `concurrency` keep-alive requests in flight from Node for `seconds`, every
// request a valid pixel with a mail client's user agent, and counts answers that are a 200 GIF. After the warm-up
// and each full-stack phase it waits for the event consumer to record every hit answered so far, so that backlog is
// not recorded during the next phase. A round gives each Worker's ratio to the baseline's phase of that round; the
// figures are the medians over the rounds, so a burst of load on the shared machine moves one round, not the result.
// At the end it counts the recorded hits in D1 and stops all.
import { createHash, createHmac, hkdfSync } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { pinThisProcess, splitCpus } from "../cpu-affinity.mjs";
import { devVars } from "../dev-vars.mjs";
import { fmt, int, wholeNumberOption } from "../figures.mjs";
import { busyLoad, loadAverage, machine, machineTable, packageVersion, runTimestamp, workerdVersion } from "../machine.mjs";
import { sleep } from "../process-group.mjs";
import { writeResults, writeResultsSection } from "../results-file.mjs";
import { applyMigrations, startWranglerDev, stopWranglerDevOnInterrupt, wranglerSync } from "../wrangler-dev.mjs";

const ROOT = path.resolve(import.meta.dirname, "../..");
const HEADING = "## Open pixel: requests/s against a bare Worker";
const RESULTS_JSON = path.join(ROOT, "bench/tracking/results.json");
const SECONDS = wholeNumberOption("seconds", 4);
const CONCURRENCY = wholeNumberOption("concurrency", 16);
const WRITE = !process.argv.includes("--no-write");
const REPORT_ONLY = process.argv.includes("--report-only");
const LOCAL_TRACING = process.argv.includes("--local-tracing");
const PIN = !process.argv.includes("--no-pin");
/** wrangler's local tracing is a development dashboard, not part of the stack measured (see the report). */
const WRANGLER_ENV = LOCAL_TRACING ? {} : { X_LOCAL_OBSERVABILITY: "false" };
const ROUNDS = wholeNumberOption("rounds", 12);
const WARM_SECONDS = 3;
const TARGET_RATIO = 0.9;
/**
 * The bare Worker, its copy (the control), the pixel's request path alone and the whole local stack: the first
 * round's order, which each later round starts one Worker further on.
 */
const WORKERS = ["baseline", "control", "request_path", "application"];
/** The Workers whose phases are compared with the baseline's. */
const COMPARED = WORKERS.slice(1);
const roundOrder = (round) => [...WORKERS.slice(round % WORKERS.length), ...WORKERS.slice(0, round % WORKERS.length)];

const log = (...a) => console.error("[bench:tracking]", ...a);
const TMP = mkdtempSync(path.join(os.tmpdir(), "flarecast-bench-tracking-"));
const groups = [];

stopWranglerDevOnInterrupt(() => rmSync(TMP, { recursive: true, force: true }));

/** signToken of src/lib/signing.ts, from docs/tracking.md alone: base64url(1 ‖ kid ‖ payload ‖ HMAC[0..16)). */
function tokenSigner(secret, purpose) {
  const kid = createHash("sha256").update(secret).digest().subarray(0, 4);
  const key = Buffer.from(hkdfSync("sha256", secret, "flarecast", `flarecast/signed-token/${purpose}/v1`, 32));
  return (fields) => {
    const payload = Buffer.concat(
      fields.map((f) => {
        const bytes = Buffer.from(f, "utf8");
        return Buffer.concat([Buffer.from([bytes.length >> 8, bytes.length & 0xff]), bytes]);
      }),
    );
    const signed = Buffer.concat([Buffer.from([1]), kid, payload]);
    const tag = createHmac("sha256", key).update(signed).digest().subarray(0, 16);
    return Buffer.concat([signed, tag]).toString("base64url");
  };
}

/**
 * The campaign the pixels are for, with a sent recipient behind every token: the consumer then does for each hit
 * what it does in production (records it, moves the recipient to opened, counts it, feeds warming and ISP figures),
 * and the run can check that every answered pixel was recorded.
 */
function seedSql(recipients, now) {
  const record = JSON.stringify({ type: "TXT", name: "x", value: "y" });
  return `insert into workspaces (id, name, slug, timezone, settings, created_at, updated_at)
  values ('ws_bench', 'Bench', 'bench', 'UTC', '{}', '${now}', '${now}');
insert into sending_domains (id, workspace_id, domain, status, dns_records, dkim_selector, dkim_public_key, dkim_private_key,
  warming_status, warming_day, daily_limit, created_at, updated_at)
  values ('dom_bench', 'ws_bench', 'bench.example', 'verified',
    json_object('spf', json('${record}'), 'dkim', json('${record}'), 'dmarc', json('${record}'), 'return_path', json('${record}')),
    'fc1', 'public', 'sealed', 'warming', 1, 100000, '${now}', '${now}');
insert into email_campaigns (id, workspace_id, name, status, current_run_id, sent_count, total_recipients, created_at, updated_at)
  values ('cmp_bench', 'ws_bench', 'Bench', 'sending', 'run_bench', ${recipients}, ${recipients}, '${now}', '${now}');
with recursive n(i) as (select 0 union all select i + 1 from n where i < ${recipients - 1})
insert into subscribers (id, workspace_id, email, preference_token, created_at, updated_at)
  select 'sub_bench_' || i, 'ws_bench', 'r' || i || '@' || (case i % 4 when 0 then 'gmail.com' when 1 then 'yahoo.com'
    when 2 then 'outlook.com' else 'bench.example' end), 'pt_bench_' || i, '${now}', '${now}' from n;
insert into campaign_recipients (id, workspace_id, campaign_id, run_id, subscriber_id, email, status, provider_message_id,
  sending_domain_id, sent_at, created_at, updated_at)
  select 'rcp_bench_' || substr(id, 11), 'ws_bench', 'cmp_bench', 'run_bench', id, email, 'sent', 'msg_bench_' || substr(id, 11),
    'dom_bench', '${now}', '${now}', '${now}' from subscribers where workspace_id = 'ws_bench';
`;
}

/**
 * Tracking events the application has recorded so far, read from its local D1 by a second workerd while the
 * consumer may be writing: SQLite then answers SQLITE_BUSY, and the read is tried again.
 */
async function recordedHits(persistTo) {
  const command = [
    "d1",
    "execute",
    "DB",
    "--local",
    "--persist-to",
    persistTo,
    "--json",
    "--command",
    "select count(*) as n from tracking_events",
  ];
  for (let attempt = 1; ; attempt++) {
    try {
      const [out] = wranglerSync(command, { json: true });
      return out.results[0].n;
    } catch (error) {
      if (attempt === 5 || !String(error.stderr ?? error.message).includes("SQLITE_BUSY")) throw error;
      await sleep(500 * attempt);
    }
  }
}

/** Waits until the event consumer has recorded `expected` hits, or they stop coming; returns how many it recorded. */
async function waitForRecordedHits(persistTo, expected, pollMs = 3000) {
  let recorded = await recordedHits(persistTo);
  for (let unchanged = 0; recorded < expected && unchanged < 3; ) {
    await sleep(pollMs);
    const now = await recordedHits(persistTo);
    unchanged = now === recorded ? unchanged + 1 : 0;
    recorded = now;
  }
  return recorded;
}

/**
 * The application's wrangler.toml for the request-path Worker: the same code and bindings, but its EVENT_QUEUE is a
 * queue of its own that nothing consumes, and it has no event consumer, so no process records its hits while it
 * serves, as on Cloudflare, where the consumer's invocations are not the pixel's. (Renamed, not only left without a
 * consumer: `wrangler dev` sends to a queue that has no consumer in its own process to another `wrangler dev` that
 * has one, and the full stack's consumer would record them.) Written to the run's temporary directory, with `main`
 * made absolute.
 */
function requestPathConfig() {
  const toml = readFileSync(path.join(ROOT, "wrangler.toml"), "utf8");
  const producer = 'binding = "EVENT_QUEUE"\nqueue = "flarecast-events"\n';
  const consumer = toml.match(/\[\[queues\.consumers\]\]\nqueue = "flarecast-events"\n(?:[^\n]+\n)*/);
  const main = toml.match(/^main = "([^"]+)"$/m);
  if (!toml.includes(producer) || !consumer || !main) throw new Error("wrangler.toml no longer has the EVENT_QUEUE lines this expects");
  const file = path.join(TMP, "wrangler.request-path.toml");
  writeFileSync(
    file,
    toml
      .replace(consumer[0], "")
      .replace(producer, 'binding = "EVENT_QUEUE"\nqueue = "flarecast-bench-request-path-events"\n')
      .replace(main[0], `main = ${JSON.stringify(path.join(ROOT, main[1]))}`),
  );
  return file;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
/** What a mail client sends: a person reading (a proxy or a request without an agent would be classified a machine). */
const HEADERS = {
  "user-agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
};

function get(url) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent, headers: HEADERS }, (res) => {
      let bytes = 0;
      res.on("data", (chunk) => {
        bytes += chunk.length;
      });
      res.on("end", () => resolve({ status: res.statusCode, type: res.headers["content-type"], location: res.headers.location, bytes }));
    });
    req.on("error", reject);
  });
}

/** `concurrency` loops, each requesting the next pixel until `seconds` have passed; answers that are a 200 GIF count. */
async function phase(origin, pixels, seconds) {
  let next = 0;
  let ok = 0;
  let wrong = 0;
  const end = performance.now() + seconds * 1000;
  const t0 = performance.now();
  const loop = async () => {
    while (performance.now() < end) {
      const res = await get(`${origin}/t/p/${pixels[next++ % pixels.length]}.gif`);
      if (res.status === 200 && res.type === "image/gif" && res.bytes === 42) ok++;
      else wrong++;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, loop));
  const elapsed = (performance.now() - t0) / 1000;
  return { requests: ok, wrong, seconds: elapsed, per_second: ok / elapsed };
}

/**
 * CPU seconds (user + system) the processes of a `wrangler dev` group have used so far, from /proc: the work each
 * Worker's stack did, which the machine's other users slow down far less than they do its requests per second.
 */
function cpuSeconds(group) {
  const ticksPerSecond = 100; // USER_HZ, 100 on Linux
  let ticks = 0;
  for (const { pid } of group.members()) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // exited since it was listed
    }
  }
  return ticks / ticksPerSecond;
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** How far apart the phases of one Worker were: the drift the machine's other users put into requests/s. */
function drift(phases) {
  const spread = (worker) => {
    const rates = phases.filter((p) => p.worker === worker).map((p) => p.per_second);
    return Math.max(...rates) / Math.min(...rates);
  };
  return Math.max(...WORKERS.map(spread));
}

const LABELS = { baseline: "baseline", control: "baseline's copy", request_path: "request path", application: "full stack" };

/** Where the load generator and the Workers ran, for the report. */
function placement(cpus) {
  if (!cpus) return "The load generator and the Workers shared the machine's CPUs as the scheduler placed them (`--no-pin`).";
  return `The load generator ran on CPU ${cpus.load_generator} and the Workers on CPU ${cpus.workers} (taskset).`;
}

function report(all) {
  const { mach, phases, per_second, ratio, ratios, hits, cpu, cpu_ratio } = all;
  const busiest = busyLoad(mach);
  const met = ratio.request_path >= TARGET_RATIO;
  const rounds = ratios.request_path.length;
  const rows = Array.from({ length: rounds }, (_, i) => {
    const mine = phases.filter((p) => p.round === i + 1);
    const cell = (worker) => {
      const p = mine.find((x) => x.worker === worker);
      const r = worker === "baseline" ? "" : ` (${fmt(ratios[worker][i], 2)}×)`;
      return `${int(p.per_second)}${r}${p.wrong ? `, ${p.wrong} not a GIF` : ""}`;
    };
    const order = mine.map((p) => LABELS[p.worker]).join(" → ");
    return `| ${i + 1} | ${order} | ${WORKERS.map(cell).join(" | ")} |`;
  });
  const tracing = all.options.local_tracing
    ? "with wrangler's local tracing on (`--local-tracing`), as `wrangler dev` has it by default"
    : "with wrangler's local tracing off (`X_LOCAL_OBSERVABILITY=false`) for all four";
  const bothBare = Array.from({ length: rounds }, (_, i) => {
    const rate = (worker) => phases.find((p) => p.round === i + 1 && p.worker === worker).per_second;
    return rate("request_path") / ((rate("baseline") + rate("control")) / 2);
  });
  const bothBareOverall = per_second.request_path / ((per_second.baseline + per_second.control) / 2);
  const spread = (worker) => {
    const sorted = [...ratios[worker]].sort((a, b) => a - b);
    return `${fmt(sorted[0], 2)}–${fmt(sorted.at(-1), 2)}×`;
  };
  return `${HEADING}

Generated by \`npm run bench:tracking\` (\`node bench/tracking/run.mjs\`) on ${all.when}; the run took ${all.elapsedS} s.
Raw figures: \`bench/tracking/results.json\`. Target: the pixel at ≥ ${TARGET_RATIO}× the bare Worker's requests/s.

### Summary

**The open pixel's request path served ${fmt(ratio.request_path, 2)}× the requests/s of a bare Worker returning the same GIF (the median
of ${rounds} rounds' ratios; target ≥ ${TARGET_RATIO}×, ${met ? "met" : "**not met**"}). With the event consumer recording every hit in the same
workerd process, the whole local stack did ${fmt(cpu_ratio.application, 2)}× the baseline's requests per CPU-second, all of the consumer's work
counted** (its phases served ${fmt(ratio.application, 2)}× the baseline's requests/s, but much of the consumer's work falls after a phase
of ${all.options.seconds} s, see below). A second copy of the bare Worker, measured the same way,
read ${fmt(ratio.control, 2)}× (single rounds ${spread("control")}): two identical Workers differ by that much here, so a ratio is
known to about that margin. Against the mean of both bare Workers' phases the request path read ${fmt(median(bothBare), 2)}× (median of
the rounds), ${fmt(bothBareOverall, 2)}× over all phases. Single rounds of the request path read ${spread("request_path")}, of the full stack ${spread("application")}.
Over all phases: ${int(per_second.request_path)} and ${int(per_second.application)} requests/s against the baseline's ${int(per_second.baseline)}/s;
the phases of one Worker differed by up to ${fmt(drift(phases), 2)}× (the machine's other users).
The full stack's consumer recorded ${int(hits.recorded)} of the ${int(hits.answered)} hits it answered${hits.recorded === hits.answered ? " (every one)" : " (**not every one**)"}.

**CPU per request** (the \`wrangler dev\` group's processes: wrangler, its proxy and the Worker's workerd, from the
first timed phase to the end): baseline ${fmt(cpu.baseline.ms_per_request, 2)} ms, its copy ${fmt(cpu.control.ms_per_request, 2)} ms (${fmt(cpu_ratio.control, 2)}× the baseline's
requests per CPU-second), request path ${fmt(cpu.request_path.ms_per_request, 2)} ms (${fmt(cpu_ratio.request_path, 2)}×), full stack ${fmt(cpu.application.ms_per_request, 2)} ms
(${fmt(cpu_ratio.application, 2)}×, counted until every hit was recorded, so all of the consumer's work is in it).

Four \`wrangler dev\` groups on the local stack (workerd), started side by side in one run, ${tracing}:

- **baseline**: \`bench/tracking/bare.worker.ts\`, the same 42 bytes and headers, nothing else, with the
  application's platform settings (its compatibility date and flags, Workers Logs on): the ratio then compares the
  pixel's code with none, not two kinds of deployment.
- **baseline's copy**: a second \`wrangler dev\` of the same bare Worker, the control.
- **request path**: the real Worker (\`src/index.ts\`, every binding of \`wrangler.toml\`), its EVENT_QUEUE renamed to a
  queue nothing consumes, so no process records its hits while it serves and its workerd does what a pixel
  request does and nothing more: \`GET /t/p/{token}.gif\` answered ahead of the router,
  token verification (keys derived once per isolate, then one synchronous HMAC-SHA-256), the hit classified and
  queued (the hits of the requests served within 100 ms share one queue message, sent in the \`waitUntil\` of the
  request that opened the batch, docs/tracking.md). This
  is the pixel as Cloudflare runs it, where the consumer's invocations are not the pixel's.
- **full stack**: the real Worker with \`wrangler.toml\` as it is, its event consumer in the same workerd process
  recording every hit in D1 while the pixels are served. Its D1 holds a campaign with a sent recipient behind each of
  the ${int(all.options.tokens)} pixel tokens, so the consumer does for every hit what it does in production: records it,
  moves the recipient on, counts it, feeds warming and ISP figures.

Tokens are signed by the documented format with the dev key (a click token made the same way was checked to
redirect on both application Workers). Every request carries a mail client's user agent (an iPhone's: a person).
${placement(all.options.cpus)} Node kept ${all.options.concurrency} keep-alive requests in flight for ${all.options.seconds} s per phase, after ${WARM_SECONDS} s of
warm-up of each Worker, in ${rounds} rounds of one phase per Worker; each round starts one Worker further on than the one
before, so every Worker runs as often first, second, third and last. A request counts when it is a 200 \`image/gif\`
of 42 bytes. Each round gives each Worker's ratio to the baseline's phase of that round, and the figures are the
medians, so a burst of load from the machine's other users during one phase moves one round, not the result.
After the warm-up and after each full-stack phase the run waits until the consumer has recorded every hit answered
so far, so no phase starts with that backlog still being recorded; at the end it counts the tracking events in D1.

Requests/s per phase, and in brackets the ratio to the baseline's phase of the same round:

| Round | Order | ${WORKERS.map((w) => LABELS[w]).join(" | ")} |
|---:|---|${WORKERS.map(() => "---:").join("|")}|
${rows.join("\n")}

### Reading the figures

- The absolute figures are the local stack's on this machine, not the edge's: every request passes through
  wrangler's proxy (a workerd of its own) before the Worker's workerd, and the load generator runs on the same machine.
  The ratio is the point: what the pixel path costs over answering a GIF.
- Why the pinning, the rotation and the copy: with the load generator and the Workers left to the scheduler on this
  2-CPU machine, and phases always in the same order, two identical bare Workers read from 0.73× to 1.16× in single
  rounds (0.93× as a median of five, 2026-12-05). The copy now measures that error in every run.
- Locally the queue's broker and consumer and D1 run in the Worker's own workerd process: the full stack's consumer
  takes its CPU from the pixels while they are served. The consumer takes a batch when 100 messages wait or 5 s
  after the first (\`wrangler.toml\`), so with phases of ${all.options.seconds} s much of a phase's recording is done in the wait after
  it, outside the requests/s: the full stack's figure to read is its CPU per request, which counts all of it. On Cloudflare the consumer runs in invocations of its own, and
  the request path's figure is what the pixel costs. Both are shown; the target is read on the request path.
- What the consumer has left when a full-stack phase ends is recorded before the next phase starts, outside the
  requests/s figures (recording it during another Worker's phase would slow that Worker); the CPU figure counts all
  of it to the full stack.
- wrangler's local tracing (on by default in this wrangler, for its local dashboard) writes every invocation's spans
  (each D1 call and queue send included) to a SQLite store in the same workerd process. It is a development tool, not
  part of the application or of the Cloudflare stack, and it costs the application more than the baseline because
  the application makes more spans; the run turns it off for all four. \`--local-tracing\` keeps it on.

### Machine

${machineTable(mach, [
  ["Node", `${mach.node} (the project's \`node\` devDependency)`],
  ["wrangler / workerd", `wrangler ${mach.wrangler} (\`wrangler dev\`), ${mach.workerd_binary} (npm \`workerd\` ${mach.workerd})`],
])}

The machine is shared${busiest ? ` and **was busy during this run** (1-minute load up to ${busiest} on ${mach.nproc} CPUs): expect the figures to be understated` : ""}.

### Cleanup

${all.stops.map((s) => `- ${s}`).join("\n")}
- The temporary directory (local D1 and queues) was removed.

### Reproduce

\`\`\`sh
npm run bench:tracking                                  # about ${Math.max(1, Math.round(all.elapsedS))} s; rewrites this section and bench/tracking/results.json
node bench/tracking/run.mjs --seconds 3 --no-write     # quick try: prints the section, writes nothing
\`\`\`
`;
}

async function main() {
  if (REPORT_ONLY) {
    writeResultsSection(ROOT, HEADING, report(JSON.parse(readFileSync(RESULTS_JSON, "utf8"))));
    log(`rewrote the "${HEADING}" section of bench/RESULTS.md from bench/tracking/results.json`);
    return;
  }
  const started = Date.now();
  const when = runTimestamp();
  const cpus = PIN ? splitCpus() : null;
  if (cpus) pinThisProcess(cpus.loadGenerator);
  const mach = machine({
    wrangler: packageVersion("wrangler"),
    workerd: packageVersion("workerd"),
    workerd_binary: workerdVersion() ?? "(workerd --version failed)",
  });
  const { file: varsFile, vars } = devVars();
  const secret = vars.TRACKING_SIGNING_KEY;
  if (!secret) throw new Error(`${varsFile} has no TRACKING_SIGNING_KEY`);
  const sentAt = String(Math.floor(Date.now() / 1000) - 3600);
  const pixel = tokenSigner(secret, "open-pixel");
  const TOKENS = 10_000;
  const pixels = Array.from({ length: TOKENS }, (_, i) => pixel(["ws_bench", "cmp_bench", `rcp_bench_${i}`, sentAt]));
  const click = tokenSigner(secret, "click-link")(["ws_bench", "cmp_bench", "rcp_bench_0", sentAt, "0", "https://example.com/"]);

  const persistTo = path.join(TMP, "state");
  applyMigrations(persistTo, log);
  const seedFile = path.join(TMP, "seed.sql");
  writeFileSync(seedFile, seedSql(TOKENS, new Date(Number(sentAt) * 1000).toISOString()));
  wranglerSync(["d1", "execute", "DB", "--local", "--persist-to", persistTo, "--file", seedFile]);
  log(`seeded a campaign with ${int(TOKENS)} sent recipients, one per pixel token`);
  const isReady = async (res) => res.ok;
  const common = { args: ["--log-level", "warn"], env: WRANGLER_ENV, cpus: cpus?.servers, isReady, log };
  const appOptions = { ...common, envFile: path.join(ROOT, varsFile) };
  const bare = (dir) => startWranglerDev({ ...common, config: "bench/tracking/wrangler.toml", persistTo: path.join(TMP, dir) });
  const [appDev, pathDev, bareDev, controlDev] = await Promise.all([
    startWranglerDev({ ...appOptions, persistTo }),
    startWranglerDev({ ...appOptions, config: requestPathConfig(), persistTo: path.join(TMP, "request-path") }),
    bare("bare"),
    bare("control"),
  ]);
  groups.push(appDev, pathDev, bareDev, controlDev);
  const devs = { baseline: bareDev, control: controlDev, request_path: pathDev, application: appDev };
  const workers = Object.fromEntries(WORKERS.map((w) => [w, devs[w].origin]));

  for (const worker of ["request_path", "application"]) {
    const redirect = await get(`${workers[worker]}/t/c/${click}`);
    if (redirect.status !== 302 || redirect.location !== "https://example.com/") {
      throw new Error(`the ${worker} Worker did not accept a token signed by the documented format (${redirect.status})`);
    }
  }
  const answered = { baseline: 0, control: 0, request_path: 1, application: 1 }; // the clicks above were queued too
  for (const [worker, origin] of Object.entries(workers)) answered[worker] += (await phase(origin, pixels, WARM_SECONDS)).requests;
  // The application's consumer records its hits in the same workerd: left to run on into the next phase, it would
  // slow the baseline (on the same CPUs) and flatter the ratio. Each phase starts once every hit so far is recorded.
  const drain = () => waitForRecordedHits(persistTo, answered.application, 2000);
  await drain();

  const cpuAtStart = Object.fromEntries(WORKERS.map((w) => [w, cpuSeconds(devs[w])]));
  const phases = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const worker of roundOrder(round)) {
      const result = { worker, round: round + 1, ...(await phase(workers[worker], pixels, SECONDS)) };
      log(`round ${round + 1}, ${worker}: ${int(result.per_second)} requests/s`);
      answered[worker] += result.requests;
      phases.push(result);
      if (worker === "application") await drain();
    }
  }
  const rate = (worker) => {
    const mine = phases.filter((p) => p.worker === worker);
    return mine.reduce((s, p) => s + p.requests, 0) / mine.reduce((s, p) => s + p.seconds, 0);
  };
  const roundRatios = (worker) =>
    Array.from({ length: ROUNDS }, (_, i) => {
      const [bareRound, round] = ["baseline", worker].map((w) => phases.find((p) => p.round === i + 1 && p.worker === w));
      return round.per_second / bareRound.per_second;
    });
  const ratios = Object.fromEntries(COMPARED.map((w) => [w, roundRatios(w)]));
  log(`waiting for the event consumer to record the ${int(answered.application)} hits the application answered`);
  const recorded = await waitForRecordedHits(persistTo, answered.application);
  // From the first timed phase until every hit was recorded: the application's consumer works on after its phases.
  const timed = (worker) => phases.filter((p) => p.worker === worker).reduce((n, p) => n + p.requests, 0);
  const cpu = Object.fromEntries(
    WORKERS.map((worker) => {
      const seconds = cpuSeconds(devs[worker]) - cpuAtStart[worker];
      return [worker, { seconds, ms_per_request: (seconds * 1000) / timed(worker) }];
    }),
  );
  const stops = [];
  for (const g of groups.splice(0)) stops.push((await g.stop()).summary);
  mach.loadavg_end = loadAverage();
  const perSecond = Object.fromEntries(WORKERS.map((w) => [w, rate(w)]));
  const all = {
    when,
    elapsedS: Math.round((Date.now() - started) / 1000),
    mach,
    options: {
      seconds: SECONDS,
      concurrency: CONCURRENCY,
      tokens: TOKENS,
      rounds: ROUNDS,
      local_tracing: LOCAL_TRACING,
      cpus: cpus && { load_generator: cpus.loadGenerator, workers: cpus.servers },
    },
    phases,
    per_second: perSecond,
    ratios,
    ratio: Object.fromEntries(COMPARED.map((w) => [w, median(ratios[w])])),
    hits: { answered: answered.application, recorded },
    cpu,
    cpu_ratio: Object.fromEntries(COMPARED.map((w) => [w, cpu.baseline.ms_per_request / cpu[w].ms_per_request])),
    stops,
  };
  log(
    `request path ${fmt(all.ratio.request_path, 2)}x, full stack ${fmt(all.ratio.application, 2)}x, baseline's copy ${fmt(all.ratio.control, 2)}x ` +
      "(medians of the rounds); CPU per request: " +
      WORKERS.map((w) => `${w} ${fmt(cpu[w].ms_per_request, 2)} ms`).join(", ") +
      `; ${int(recorded)} of ${int(answered.application)} hits recorded`,
  );
  const section = report(all);
  if (WRITE) {
    writeResults(ROOT, HEADING, section, RESULTS_JSON, all);
    log(`wrote the "${HEADING}" section of bench/RESULTS.md and bench/tracking/results.json`);
  } else {
    process.stdout.write(section);
  }
  if (phases.some((p) => p.wrong > 0)) {
    log("some answers were not the GIF");
    process.exitCode = 1;
  }
  if (recorded !== answered.application) {
    log(`the application answered ${answered.application} pixels and clicks but recorded ${recorded}`);
    process.exitCode = 1;
  }
}

try {
  await main();
} finally {
  for (const g of groups.splice(0)) await g.stop().catch((e) => log(String(e)));
  agent.destroy();
  rmSync(TMP, { recursive: true, force: true });
}
