// `npm run bench:throttle`: DomainThrottle acquires per second through the Durable Object, on the local stack.
//
//   node bench/throttle/run.mjs [--calls N] [--reps N] [--no-write]
//
//   --calls     acquire(1) calls per timed request (default 1000)
//   --reps      timed requests per case (default 9), after one untimed
//   --no-write  print the section, do not touch bench/RESULTS.md or bench/throttle/results.json
//   --report-only  rewrite the section from the figures in bench/throttle/results.json, measuring nothing
//
// It starts `wrangler dev --config bench/throttle/wrangler.toml` (a small Worker, throttle.worker.ts, that binds
// the application's real DomainThrottle class from durable-objects/domain-throttle.do.ts) on free ports, with
// Durable Object storage in a temporary --persist-to directory, in a process group of its own. For each case
// it resets one DO instance's day and cap (GET /reset), then times GET /acquire, which makes the acquire(1) RPC
// calls to that one instance, sequentially or with 50 in flight, and reports how long they took inside the
// Worker. Every answer is checked: the grants add up to min(cap, calls) and the instance's daily_sent agrees.
// Finally several requests share one cap at once. Then it stops the group and checks nothing of it is left, and
// writes the "## DomainThrottle acquires" section of bench/RESULTS.md (only that section) and
// bench/throttle/results.json.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fmt, int, stats, wholeNumberOption } from "../figures.mjs";
import { busyLoad, loadAverage, machine, machineTable, packageVersion, runTimestamp, workerdVersion } from "../machine.mjs";
import { writeResults, writeResultsSection } from "../results-file.mjs";
import { startWranglerDev, stopWranglerDevOnInterrupt } from "../wrangler-dev.mjs";

const ROOT = path.resolve(import.meta.dirname, "../..");
const HEADING = "## DomainThrottle acquires";
const INSTANCE = "dom_bench_throttle";

const CALLS = wholeNumberOption("calls", 1000);
const REPS = wholeNumberOption("reps", 9);
const WRITE = !process.argv.includes("--no-write");
const REPORT_ONLY = process.argv.includes("--report-only");
const RESULTS_JSON = path.join(ROOT, "bench/throttle/results.json");
const CONCURRENCY = 50;
const SHARED = { requests: 4, calls: Math.ceil(CALLS / 2), concurrency: CONCURRENCY, cap: CALLS };

const CASES = [
  { name: "sequential.state", title: "Sequential `state()` (a read: the RPC alone)", method: "state", concurrency: 1, cap: 2 * CALLS },
  { name: "concurrent.state", title: `${CONCURRENCY} in flight, \`state()\``, method: "state", concurrency: CONCURRENCY, cap: 2 * CALLS },
  { name: "sequential.under-cap", title: "Sequential, cap above the calls", concurrency: 1, cap: 2 * CALLS },
  { name: "sequential.at-cap", title: "Sequential, cap = half the calls", concurrency: 1, cap: Math.floor(CALLS / 2) },
  { name: "concurrent.under-cap", title: `${CONCURRENCY} in flight, cap above the calls`, concurrency: CONCURRENCY, cap: 2 * CALLS },
  {
    name: "concurrent.at-cap",
    title: `${CONCURRENCY} in flight, cap = half the calls`,
    concurrency: CONCURRENCY,
    cap: Math.floor(CALLS / 2),
  },
];

const log = (...args) => console.error("[bench:throttle]", ...args);

const TMP = mkdtempSync(path.join(os.tmpdir(), "flarecast-bench-throttle-"));
const PERSIST = path.join(TMP, "state");

let dev = null;

async function stopWrangler() {
  if (!dev) return "";
  const stopping = dev;
  dev = null;
  return (await stopping.stop()).summary;
}

stopWranglerDevOnInterrupt(() => rmSync(TMP, { recursive: true, force: true }));

async function getJson(url) {
  const t0 = process.hrtime.bigint();
  const res = await fetch(url);
  const body = await res.text();
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (!res.ok) throw new Error(`${url} answered ${res.status}: ${body}`);
  return { body: JSON.parse(body), ms };
}

/** What an answer must say if the cap held: the grants add up to min(cap, calls), one at most per call. */
function checkAnswer(body, { cap, calls, sentBefore = 0 }) {
  const expected = Math.min(cap, calls);
  const problems = [];
  if (body.granted !== expected) problems.push(`granted ${body.granted}, expected ${expected}`);
  if (body.refused !== calls - expected) problems.push(`refused ${body.refused}, expected ${calls - expected}`);
  if (body.largest_grant > 1) problems.push(`one call was granted ${body.largest_grant}`);
  if (body.state.daily_limit !== cap) problems.push(`daily_limit ${body.state.daily_limit}, expected ${cap}`);
  if (body.state.daily_sent !== sentBefore + expected)
    problems.push(`daily_sent ${body.state.daily_sent}, expected ${sentBefore + expected}`);
  return problems;
}

async function runCase(origin, c) {
  const reps = [];
  const problems = [];
  for (let i = 0; i < REPS + 1; i++) {
    await getJson(`${origin}/reset?name=${INSTANCE}&cap=${c.cap}`);
    const { body, ms } = await getJson(`${origin}/${c.method ?? "acquire"}?name=${INSTANCE}&n=${CALLS}&concurrency=${c.concurrency}`);
    const wrong = c.method === "state" ? [] : checkAnswer(body, { cap: c.cap, calls: CALLS });
    if (wrong.length) problems.push(`rep ${i}: ${wrong.join("; ")}`);
    if (i > 0) reps.push({ ...body, wall_ms: ms });
  }
  const inside = stats(reps.map((r) => r.calls / ((r.elapsed_ms + r.next_call_ms) / 1000)));
  const toLastAnswer = stats(reps.map((r) => r.calls / (r.elapsed_ms / 1000)));
  const outside = stats(reps.map((r) => r.calls / (r.wall_ms / 1000)));
  const result = {
    ...c,
    calls: CALLS,
    reps: REPS,
    acquires_per_s: inside,
    acquires_per_s_to_last_answer: toLastAnswer,
    acquires_per_s_from_node: outside,
    next_call_ms: stats(reps.map((r) => r.next_call_ms)),
    elapsed_ms: stats(reps.map((r) => r.elapsed_ms)),
    latency_ms_p50: stats(reps.map((r) => r.latency_ms.p50)).median,
    latency_ms_p99: stats(reps.map((r) => r.latency_ms.p99)).median,
    latency_ms_max: Math.max(...reps.map((r) => r.latency_ms.max)),
    granted: reps[0].granted,
    refused: reps[0].refused,
    final_state: reps[reps.length - 1].state,
    problems,
  };
  log(
    `${c.name}: median ${int(inside.median)} calls/s inside the Worker (${int(outside.median)}/s from Node)${c.method === "state" ? "" : `, cap ${problems.length ? "BROKEN" : "held"} in ${REPS + 1} requests`}`,
  );
  return result;
}

/** Several requests at once, each with CONCURRENCY calls in flight, drawing on one instance's cap. */
async function runShared(origin) {
  await getJson(`${origin}/reset?name=${INSTANCE}&cap=${SHARED.cap}`);
  const t0 = process.hrtime.bigint();
  const answers = await Promise.all(
    Array.from({ length: SHARED.requests }, () =>
      getJson(`${origin}/acquire?name=${INSTANCE}&n=${SHARED.calls}&concurrency=${SHARED.concurrency}`),
    ),
  );
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const total = SHARED.requests * SHARED.calls;
  const granted = answers.reduce((s, a) => s + a.body.granted, 0);
  const state = (await getJson(`${origin}/acquire?name=${INSTANCE}&n=0&concurrency=1`)).body.state;
  const expected = Math.min(SHARED.cap, total);
  const problems = [];
  if (granted !== expected) problems.push(`granted ${granted} in all, expected ${expected}`);
  if (state.daily_sent !== expected) problems.push(`daily_sent ${state.daily_sent}, expected ${expected}`);
  if (answers.some((a) => a.body.largest_grant > 1)) problems.push("a call was granted more than 1");
  log(
    `shared cap: ${SHARED.requests} requests × ${SHARED.calls} calls, cap ${SHARED.cap}: granted ${granted} (${problems.length ? "BROKEN" : "held"})`,
  );
  return {
    ...SHARED,
    total_calls: total,
    granted,
    per_request: answers.map((a) => a.body.granted),
    state,
    wall_ms: wallMs,
    acquires_per_s_from_node: total / (wallMs / 1000),
    problems,
  };
}

/** The cost of a request that makes no acquire call (one state() RPC only), for scale. */
async function emptyRequests(origin) {
  const times = [];
  for (let i = 0; i < 21; i++) times.push((await getJson(`${origin}/acquire?name=${INSTANCE}&n=0&concurrency=1`)).ms);
  return stats(times.slice(1));
}

/** The range of the next call's median duration over the cases run with `concurrency` calls in flight. */
function nextCall(cases, concurrency) {
  const ms = cases.filter((c) => c.concurrency === concurrency).map((c) => c.next_call_ms.median);
  const lo = Math.min(...ms);
  const hi = Math.max(...ms);
  return lo === hi ? fmt(lo, 0) : `${fmt(lo, 0)}–${fmt(hi, 0)}`;
}

/** How much calls in flight raised throughput, for grants and for reads. */
function gain(cases) {
  const by = Object.fromEntries(cases.map((c) => [c.name, c.acquires_per_s.median]));
  const ratio = (what) => fmt(by[`concurrent.${what}`] / by[`sequential.${what}`], 1);
  return `grants (cap above the calls) ×${ratio("under-cap")}, half refused ×${ratio("at-cap")}, reads ×${ratio("state")}`;
}

/** What a storage write adds to a call, from the sequential cases: all grants vs. reads only. */
function writeCost(cases) {
  const by = Object.fromEntries(cases.map((c) => [c.name, c]));
  const ms = (c) => 1000 / c.acquires_per_s.median;
  const read = by["sequential.state"];
  const write = by["sequential.under-cap"];
  if (!read || !write) return "";
  return `Sequentially, a granted acquire took ${fmt(ms(write), 2)} ms and a \`state()\` read ${fmt(ms(read), 2)} ms (medians), so the write
  and its output gate cost about ${fmt(ms(write) - ms(read), 2)} ms of each grant here.`;
}

function report(all) {
  const { mach, cases, shared, empty } = all;
  const inFlight = all.options.concurrency;
  const busiest = busyLoad(mach);
  const held = cases.every((c) => c.problems.length === 0) && shared.problems.length === 0;
  const row = (c) => {
    const read = c.method === "state";
    return `| ${c.title} | ${read ? "—" : int(c.cap)} | **${int(c.acquires_per_s.median)}** | ${int(c.acquires_per_s.min)} – ${int(c.acquires_per_s.max)} | ${int(c.acquires_per_s_to_last_answer.median)} | ${fmt(c.next_call_ms.median, 0)} | ${int(c.acquires_per_s_from_node.median)} | ${fmt(c.latency_ms_p50, 0)} / ${fmt(c.latency_ms_p99, 0)} | ${read ? "—" : `${int(c.granted)} + ${int(c.refused)} refused`} | ${read ? "—" : c.problems.length ? `**no** (${c.problems.length} wrong)` : "yes"} |`;
  };
  const rows = cases.filter((c) => c.method !== "state").map(row);
  const readRows = cases.filter((c) => c.method === "state").map(row);
  const problemList = [...cases.flatMap((c) => c.problems.map((p) => `${c.name}: ${p}`)), ...shared.problems.map((p) => `shared: ${p}`)];
  return `${HEADING}

Generated by \`npm run bench:throttle\` (\`node bench/throttle/run.mjs\`) on ${all.when}; the run took ${all.elapsedS} s.
Raw figures: \`bench/throttle/results.json\`. No target was set for this figure.

### Summary

\`acquire(1)\` calls over RPC from a Worker to **one** \`DomainThrottle\` instance (the application's class,
\`durable-objects/domain-throttle.do.ts\`, bound by \`bench/throttle/wrangler.toml\`), on the local stack:
\`wrangler dev\` (workerd) with SQLite-backed Durable Object storage in a temporary directory. Each timed request
(GET /acquire of \`bench/throttle/throttle.worker.ts\`) makes ${int(all.options.calls)} calls, one at a time or ${inFlight} in flight, then one
\`state()\` call ("next call") that reads the final count. Acquires/s is the calls ÷ the time from the first
call to the end of that next call, read inside the Worker; median and range over ${all.options.reps} requests per case (after
one untimed). The next call is counted because after a burst with ${inFlight} in flight it took ${nextCall(cases, inFlight)} ms,
against ${nextCall(cases, 1)} ms after sequential calls (medians): every answer was back before the stack had finished with the
burst, so "to the last answer" overstates what the instance sustains. "From Node" divides the calls by the whole HTTP
request's wall time measured in Node (\`process.hrtime\`), which adds the request itself (an empty one, one
\`state()\` call: median ${fmt(empty.median, 2)} ms). Latency is per call, from the call to its answer (with ${inFlight} in flight
it includes the wait behind the others): medians of the requests' p50 / p99, in whole ms (workerd's clock has
1 ms resolution; the throughput figures, over hundreds of ms, are not affected).

| Case | Daily cap | Median acquires/s | Min – max acquires/s | To the last answer, median | Next call ms | From Node, median | Call latency p50 / p99 ms | Granted + refused per request | Cap held |
|---|---:|---:|---:|---:|---:|---:|---:|---:|---|
${rows.join("\n")}

For comparison, the same calls with \`state()\`, which reads the count and writes nothing (calls/s):

| Case | | Median calls/s | Min – max calls/s | To the last answer, median | Next call ms | From Node, median | Call latency p50 / p99 ms | | |
|---|---:|---:|---:|---:|---:|---:|---:|---:|---|
${readRows.join("\n")}

**Cap check**: before each request the instance's day was reset and its cap set (\`resetDay()\`,
\`setDailyLimit()\`); every answer was checked: grants summing to min(cap, calls), no call granted more than
one, refusals making up the rest, and the instance's \`daily_sent\` equal to the grants. Then ${shared.requests} requests at once,
each with ${shared.concurrency} calls in flight (${int(shared.total_calls)} calls), drew on one cap of ${int(shared.cap)}: granted ${shared.per_request.map(int).join(" + ")} = **${int(shared.granted)}**,
\`daily_sent\` ${int(shared.state.daily_sent)} (${int(shared.acquires_per_s_from_node)} acquires/s from Node over the ${fmt(shared.wall_ms, 0)} ms).
${held ? "**The cap held in every request.**" : `**The cap did not hold**:\n\n${problemList.map((p) => `- ${p}`).join("\n")}`}

### Reading the figures

- A refused call (the cap reached) does not write storage; a granted one writes the new count with
  \`ctx.storage.kv.put\`, and workerd holds the answer until the write is durable (the output gate). The
  at-cap cases are half grants, half refusals; \`state()\` shows the cost of the call with no write at all.
  ${writeCost(cases)}
- The Durable Object runs one call at a time whatever the concurrency, so calls in flight raise throughput
  by overlapping the RPC round trips; their latency grows with the queue. ${inFlight} in flight against one at a time:
  ${gain(cases)}.
- Here the Worker and the Durable Object share one workerd process on this machine. On Cloudflare the instance
  may live in another data centre than the Worker calling it: each call then costs a network round trip (ms,
  not µs), so a sender should acquire in batches (\`acquire(count)\` grants up to count at once) rather than one
  per recipient. These figures are the object's own ceiling, not what a distant caller would see.

### Machine

${machineTable(mach, [
  ["Node", `${mach.node} (the project's \`node\` devDependency)`],
  ["wrangler / workerd", `wrangler ${mach.wrangler} (\`wrangler dev\`), ${mach.workerd_binary} (npm \`workerd\` ${mach.workerd})`],
])}

The machine is shared${busiest ? ` and **was busy during this run** (1-minute load up to ${busiest} on ${mach.nproc} CPUs): expect the figures to be understated and the ranges wide` : ""}.

### Cleanup

- ${all.stop}.
- The temporary directory (Durable Object storage) was removed.

### Reproduce

\`\`\`sh
npm run bench:throttle                                   # about ${Math.max(1, Math.round(all.elapsedS))} s; rewrites this section and bench/throttle/results.json
node bench/throttle/run.mjs --calls 200 --reps 3 --no-write   # quick try: prints the section, writes nothing
\`\`\`
`;
}

async function main() {
  if (REPORT_ONLY) {
    writeResultsSection(ROOT, HEADING, report(JSON.parse(readFileSync(RESULTS_JSON, "utf8"))));
    log(`rewrote the "${HEADING}" section of bench/RESULTS.md from bench/throttle/results.json`);
    return;
  }
  const started = Date.now();
  const when = runTimestamp();
  const mach = machine({
    wrangler: packageVersion("wrangler"),
    workerd: packageVersion("workerd"),
    workerd_binary: workerdVersion() ?? "(workerd --version failed)",
  });
  let cases;
  let shared;
  let empty;
  let stop;
  try {
    dev = await startWranglerDev({
      config: "bench/throttle/wrangler.toml",
      persistTo: PERSIST,
      isReady: async (res) => res.ok && (await res.text()) === "ok",
      log,
    });
    const { origin } = dev;
    empty = await emptyRequests(origin);
    cases = [];
    for (const c of CASES) cases.push(await runCase(origin, c));
    shared = await runShared(origin);
  } finally {
    stop = await stopWrangler();
  }
  mach.loadavg_end = loadAverage();
  const elapsedS = Math.round((Date.now() - started) / 1000);
  const all = { when, elapsedS, mach, options: { calls: CALLS, reps: REPS, concurrency: CONCURRENCY }, empty, cases, shared, stop };
  const section = report(all);
  if (WRITE) {
    writeResults(ROOT, HEADING, section, RESULTS_JSON, all);
    log(`wrote the "${HEADING}" section of bench/RESULTS.md and bench/throttle/results.json`);
  } else {
    process.stdout.write(section);
  }
  if ([...cases, shared].some((c) => c.problems.length)) {
    log("the cap did not hold");
    process.exitCode = 1;
  }
}

try {
  await main();
} finally {
  if (dev) await stopWrangler().catch((e) => log(String(e)));
  rmSync(TMP, { recursive: true, force: true });
}
