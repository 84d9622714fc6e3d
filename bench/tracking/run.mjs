// `npm run bench:tracking`: open-pixel requests/s on the local stack, side by side in one run with a bare Worker
// that answers the same GIF and nothing else.
//
//   node bench/tracking/run.mjs [--seconds N] [--concurrency N] [--no-write] [--report-only]
//
//   --seconds      length of each timed phase (default 8)
//   --concurrency  requests in flight (default 16)
//   --no-write     print the section, do not touch bench/RESULTS.md or bench/tracking/results.json
//   --report-only  rewrite the section from bench/tracking/results.json, measuring nothing
//
// It applies the migrations to a fresh local D1 in a temporary directory and starts two `wrangler dev` groups:
// the application (wrangler.toml, the real Worker with its queues) and the baseline (bench/tracking/wrangler.toml,
// bare.worker.ts). It signs pixel tokens with the dev key (.dev.vars, else .dev.vars.example) by the documented
// format, checks the application verifies them (a click token made the same way must redirect), warms both up,
// then times, alternating to even out the shared machine's drift: baseline, application, baseline, application.
// Each phase keeps `concurrency` keep-alive requests in flight from Node for `seconds`, every request a valid
// pixel of a distinct recipient, and counts answers that are a 200 GIF. The application's figure is compared with
// the baseline's over the same phases (sum of requests ÷ sum of time). Both groups are stopped at the end.
import { createHash, createHmac, hkdfSync } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { devVars } from "../dev-vars.mjs";
import { fmt, int, wholeNumberOption } from "../figures.mjs";
import { busyLoad, loadAverage, machine, machineTable, packageVersion, runTimestamp, workerdVersion } from "../machine.mjs";
import { writeResultsSection } from "../results-file.mjs";
import { applyMigrations, startWranglerDev, stopWranglerDevOnInterrupt } from "../wrangler-dev.mjs";

const ROOT = path.resolve(import.meta.dirname, "../..");
const HEADING = "## Open pixel: requests/s against a bare Worker";
const RESULTS_JSON = path.join(ROOT, "bench/tracking/results.json");
const SECONDS = wholeNumberOption("seconds", 8);
const CONCURRENCY = wholeNumberOption("concurrency", 16);
const WRITE = !process.argv.includes("--no-write");
const REPORT_ONLY = process.argv.includes("--report-only");
const WARM_SECONDS = 2;
const ROUNDS = 2;
const TARGET_RATIO = 0.9;

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

const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });

function get(url) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent }, (res) => {
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

/** Whether the gap between the Workers is larger than the drift between phases of the same Worker. */
function noise(phases, ratio) {
  const spread = (worker) => {
    const rates = phases.filter((p) => p.worker === worker).map((p) => p.per_second);
    return Math.max(...rates) / Math.min(...rates);
  };
  const drift = Math.max(spread("baseline"), spread("application"));
  const gap = Math.max(ratio, 1 / ratio);
  return gap > drift
    ? `The gap between the Workers (${fmt(ratio, 2)}×) is larger than the drift between phases of one Worker (up to ${fmt(drift, 2)}×).`
    : `But the phases of one Worker differed by up to ${fmt(drift, 2)}×, more than the gap between the Workers: this run
cannot tell the two apart, so the ratio meets the target without showing how much the pixel path costs; a run on a quiet machine would.`;
}

function report(all) {
  const { mach, phases, app, bare, ratio } = all;
  const busiest = busyLoad(mach);
  const met = ratio >= TARGET_RATIO;
  const rows = phases.map(
    (p, i) => `| ${i + 1} | ${p.worker} | ${int(p.requests)} | ${fmt(p.seconds, 2)} | **${int(p.per_second)}** | ${p.wrong} |`,
  );
  return `${HEADING}

Generated by \`npm run bench:tracking\` (\`node bench/tracking/run.mjs\`) on ${all.when}; the run took ${all.elapsedS} s.
Raw figures: \`bench/tracking/results.json\`. Target: the pixel at ≥ ${TARGET_RATIO}× the bare Worker's requests/s.

### Summary

**The open pixel served ${int(app)} requests/s against ${int(bare)}/s for a bare Worker returning the same GIF: ${fmt(ratio, 2)}×
(target ≥ ${TARGET_RATIO}×, ${met ? "met" : "**not met**"}).** ${noise(phases, ratio)}

Both on the local stack, \`wrangler dev\` (workerd), started side by side in one run: the application (the real
Worker of \`wrangler.toml\`: every middleware, the router, \`GET /t/p/{token}.gif\`, token verification (HKDF key cached
per isolate, one HMAC-SHA-256) and \`EVENT_QUEUE.send\` of the classified hit in \`waitUntil\`, with the event queue's
consumer running) and the baseline (\`bench/tracking/bare.worker.ts\`: the same 42 bytes and headers, nothing else).
Each request is a valid pixel of a distinct recipient (${int(all.options.tokens)} tokens signed by the documented format with the dev
key; a click token made the same way was checked to redirect, so the application verified and queued every hit).
Node kept ${all.options.concurrency} keep-alive requests in flight for ${all.options.seconds} s per phase, after ${WARM_SECONDS} s of warm-up of each Worker, alternating
baseline and application ${ROUNDS} times; a request counts when it is a 200 \`image/gif\` of 42 bytes. Each Worker's
figure is its requests over its phases' time.

| Phase | Worker | Requests | Seconds | Requests/s | Not a GIF |
|---|---|---:|---:|---:|---:|
${rows.join("\n")}

### Reading the figures

- The load generator (Node) shares the machine's ${mach.nproc} CPUs with both workerd processes and wrangler, so the absolute
  figures are the local stack's, not the edge's; the ratio is the point: what the pixel path costs over answering a GIF.
- The application's request also runs \`readConfig\` (cached per isolate) and hands a message to the local queue,
  whose consumer runs in the same process during the phase: on Cloudflare the consumer runs elsewhere.

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
  const isReady = async (res) => res.ok;
  const [appDev, bareDev] = await Promise.all([
    startWranglerDev({ persistTo, envFile: path.join(ROOT, varsFile), args: ["--log-level", "warn"], isReady, log }),
    startWranglerDev({
      config: "bench/tracking/wrangler.toml",
      persistTo: path.join(TMP, "bare"),
      args: ["--log-level", "warn"],
      isReady,
      log,
    }),
  ]);
  groups.push(appDev, bareDev);
  const workers = { application: appDev.origin, baseline: bareDev.origin };

  const redirect = await get(`${workers.application}/t/c/${click}`);
  if (redirect.status !== 302 || redirect.location !== "https://example.com/") {
    throw new Error(`the application did not accept a token signed by the documented format (${redirect.status})`);
  }
  for (const origin of Object.values(workers)) await phase(origin, pixels, WARM_SECONDS);

  const phases = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const worker of ["baseline", "application"]) {
      const result = { worker, ...(await phase(workers[worker], pixels, SECONDS)) };
      log(`${worker}: ${int(result.per_second)} requests/s`);
      phases.push(result);
    }
  }
  const rate = (worker) => {
    const mine = phases.filter((p) => p.worker === worker);
    return mine.reduce((s, p) => s + p.requests, 0) / mine.reduce((s, p) => s + p.seconds, 0);
  };
  const stops = [];
  for (const g of groups.splice(0)) stops.push((await g.stop()).summary);
  mach.loadavg_end = loadAverage();
  const app = rate("application");
  const bare = rate("baseline");
  const all = {
    when,
    elapsedS: Math.round((Date.now() - started) / 1000),
    mach,
    options: { seconds: SECONDS, concurrency: CONCURRENCY, tokens: TOKENS },
    phases,
    app,
    bare,
    ratio: app / bare,
    stops,
  };
  log(`application ${int(app)}/s, baseline ${int(bare)}/s: ${fmt(all.ratio, 2)}x`);
  const section = report(all);
  if (WRITE) {
    writeFileSync(RESULTS_JSON, `${JSON.stringify(all, null, 2)}\n`);
    writeResultsSection(ROOT, HEADING, section);
    log(`wrote the "${HEADING}" section of bench/RESULTS.md and bench/tracking/results.json`);
  } else {
    process.stdout.write(section);
  }
  if (phases.some((p) => p.wrong > 0)) {
    log("some answers were not the GIF");
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
