// `npm run bench:import`: a CSV import of 100,000 rows on the local stack `npm start` runs (wrangler dev with
// local D1 and the import queue's consumer running locally), end to end through the public API.
//
//   node bench/import/run.mjs [--rows N] [--no-write] [--no-memory-run]
//
// It generates the CSV, starts `wrangler dev` (wrangler.toml, .dev.vars) on free ports with a fresh local state
// directory of its own (migrations applied first), creates a workspace and a list, POSTs the file as it
// streams from disk, polls the import until it is completed, and checks the outcome. Throughput is rows per
// second from the start of the upload to `completed`. Memory is the peak resident set (VmHWM in
// /proc/<pid>/status) of the workerd process, which holds the Worker's isolate and the local D1 (SQLite)
// together, next to the same figure just before the upload, and the Worker's own V8 heap through the
// inspector. Results go to the "CSV import" section of bench/RESULTS.md (the rest of the file is left alone).
// wrangler and workerd run in a process group of their own, stopped as one at the end (or on Ctrl-C); the
// script fails if any process of it is left. Unless --no-memory-run, it runs the import again taking a heap
// snapshot (a full GC) every 5 s, to show the Worker's live heap as the import proceeds.
import { execFileSync } from "node:child_process";
import { createReadStream, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { devVars } from "../dev-vars.mjs";
import { connectInspector } from "../inspector.mjs";
import { loadAverage, machine, packageVersion, workerdVersion } from "../machine.mjs";
import { sleep } from "../process-group.mjs";
import { writeResultsSection } from "../results-file.mjs";
import { applyMigrations, startWranglerDev, stopWranglerDevOnInterrupt } from "../wrangler-dev.mjs";

const ROOT = path.resolve(import.meta.dirname, "../..");
const args = process.argv.slice(2);
const ROWS = Number(args[args.indexOf("--rows") + 1]) > 0 && args.includes("--rows") ? Number(args[args.indexOf("--rows") + 1]) : 100_000;
const WRITE = !args.includes("--no-write");
const INVALID_EVERY = 1000; // one row in a thousand has an invalid email, so the error report is exercised too
const TARGET_ROWS_PER_S = 5000;
// Each poll is a request that costs the Worker CPU on the same thread as the consumer; once a second is enough.
const POLL_MS = 1000;

const log = (...a) => console.error("[bench:import]", ...a);

function generateCsv(file, rows) {
  const plans = ["free", "pro", "team", "enterprise"];
  const cities = ["Berlin", "Lisbon", "Malmö", "São Paulo", "Zürich", "New York, NY"];
  const parts = ["email,name,plan,city,signup_source\n"];
  for (let i = 0; i < rows; i++) {
    const email = i % INVALID_EVERY === INVALID_EVERY - 1 ? `not-an-email-${i}` : `user${i}@example${i % 50}.com`;
    const city = cities[i % cities.length];
    parts.push(`${email},"Person ${i}, Jr.",${plans[i % plans.length]},${city.includes(",") ? `"${city}"` : city},bench\n`);
  }
  writeFileSync(file, parts.join(""));
  return statSync(file).size;
}

let dev = null;

function memoryOf(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (key) => Number(status.match(new RegExp(`^${key}:\\s+(\\d+) kB`, "m"))?.[1] ?? NaN);
    return { rss: kb("VmRSS"), hwm: kb("VmHWM") };
  } catch {
    return null;
  }
}

/**
 * The Worker's V8 heap, read through wrangler's inspector (Runtime.getHeapUsage) every 100 ms: the memory the
 * Worker itself holds, apart from the rest of the workerd process (runtime, local D1, queue broker). Used size
 * includes garbage not yet collected, so besides the peak the sampler keeps each 5-second window's lowest
 * value, which is the heap right after a collection: if those floors stay level, nothing accumulates.
 * (workerd does not answer HeapProfiler.collectGarbage, so a GC cannot be forced from here.)
 */
async function heapSampler(inspectorPort) {
  const inspector = await connectInspector(inspectorPort);
  const call = (method, timeoutMs) => inspector.call(method, {}, timeoutMs);
  const usage = () => call("Runtime.getHeapUsage", 2000);
  /** A heap snapshot makes V8 collect everything first: the used size after it is what the Worker retains. */
  const live = async () => {
    await call("HeapProfiler.takeHeapSnapshot", 120_000);
    return (await call("Runtime.getHeapUsage", 30_000))?.usedSize ?? NaN;
  };
  let peak = 0;
  let floors = [];
  let window = { start: performance.now(), min: Infinity };
  let running = true;
  const loop = (async () => {
    while (running) {
      const u = await usage();
      if (u?.usedSize) {
        peak = Math.max(peak, u.usedSize);
        window.min = Math.min(window.min, u.usedSize);
      }
      if (performance.now() - window.start >= 5000) {
        if (window.min < Infinity) floors.push(window.min);
        window = { start: performance.now(), min: Infinity };
      }
      await sleep(100);
    }
  })();
  return {
    usage,
    live,
    reset: () => {
      peak = 0;
      floors = [];
      window = { start: performance.now(), min: Infinity };
    },
    peak: () => peak,
    floors: () => [...floors],
    async stop() {
      running = false;
      await loop;
      inspector.close();
    },
  };
}

async function startWrangler(persistTo) {
  applyMigrations(persistTo, log);
  dev = await startWranglerDev({ persistTo, args: ["--log-level", "warn"], env: { CI: "1" }, log });
  return dev;
}

async function stopWrangler() {
  if (!dev) return;
  const stopping = dev;
  dev = null;
  await stopping.stop();
}

stopWranglerDevOnInterrupt();

async function call(origin, method, urlPath, { token, json, body, headers = {} } = {}) {
  const init = { method, headers: { ...headers } };
  if (token) init.headers.authorization = `Bearer ${token}`;
  if (json !== undefined) {
    init.headers["content-type"] = "application/json";
    init.body = JSON.stringify(json);
  } else if (body !== undefined) {
    init.body = body;
    init.duplex = "half";
  }
  const res = await fetch(`${origin}${urlPath}`, init);
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${urlPath} answered ${res.status}: ${text}`);
  return JSON.parse(text);
}

async function run({ liveEveryS = 0 } = {}) {
  const work = mkdtempSync(path.join(os.tmpdir(), "flarecast-bench-import-"));
  const csvFile = path.join(work, "subscribers.csv");
  const bytes = generateCsv(csvFile, ROWS);
  log(`generated ${ROWS.toLocaleString("en")} rows, ${(bytes / 1e6).toFixed(1)} MB: ${csvFile}`);
  const { ADMIN_TOKEN } = devVars().vars;
  const load0 = loadAverage();

  try {
    const { origin, inspectorPort, members } = await startWrangler(path.join(work, "state"));
    // wrangler runs two workerd processes: the Worker's (with the inspector; it also holds the local D1 and the
    // queue broker) and a small one for its own proxy.
    const workerd = members()
      .filter((p) => p.comm === "workerd")
      .map((p) => ({ ...p, role: readFileSync(`/proc/${p.pid}/cmdline`, "utf8").includes("--inspector-addr") ? "worker" : "proxy" }))
      .sort((a, _b) => (a.role === "worker" ? -1 : 1));
    if (workerd[0]?.role !== "worker") throw new Error("no workerd process of the Worker found in wrangler's process group");
    const heap = await heapSampler(inspectorPort);

    const ws = await call(origin, "POST", "/workspaces", { token: ADMIN_TOKEN, json: { name: "Import bench", timezone: "UTC" } });
    const key = ws.api_key.key;
    const list = await call(origin, "POST", `/workspaces/${ws.id}/email-marketing/lists`, { token: key, json: { name: "Bench" } });
    // A warm-up import of a few rows, so that the first request's bundle load and isolate start are not timed.
    const warm = await call(origin, "POST", `/workspaces/${ws.id}/email-marketing/lists/${list.id}/imports`, {
      token: key,
      body: "email\nwarm@example.com\n",
      headers: { "content-type": "text/csv" },
    });
    for (let i = 0; i < 200; i++) {
      const s = await call(origin, "GET", `/workspaces/${ws.id}/email-marketing/lists/${list.id}/imports/${warm.id}`, { token: key });
      if (s.status === "completed") break;
      await sleep(100);
    }
    const before = Object.fromEntries(workerd.map((p) => [p.pid, memoryOf(p.pid)]));
    log(
      `workerd before the upload: ${workerd.map((p) => `pid ${p.pid} RSS ${(before[p.pid].rss / 1024).toFixed(0)} MB, peak ${(before[p.pid].hwm / 1024).toFixed(0)} MB`).join("; ")}`,
    );

    // Heap snapshots only in the memory run: they cost the process memory of their own (VmHWM) and pause the Worker.
    const liveBefore = liveEveryS > 0 ? await heap.live() : NaN;
    const heapBefore = (await heap.usage())?.usedSize ?? NaN;
    heap.reset();
    const rssMaxKb = Object.fromEntries(workerd.map((p) => [p.pid, 0]));
    const sampler = setInterval(() => {
      for (const p of workerd) rssMaxKb[p.pid] = Math.max(rssMaxKb[p.pid], memoryOf(p.pid)?.rss ?? 0);
    }, 100);

    const t0 = performance.now();
    // Memory run only: a heap snapshot (a full GC) every few seconds pauses the Worker, so its time is not reported.
    const liveDuring = [];
    let liveRunning = liveEveryS > 0;
    const liveLoop = (async () => {
      while (liveRunning) {
        await sleep(liveEveryS * 1000);
        if (liveRunning) liveDuring.push([(performance.now() - t0) / 1000, await heap.live()]);
      }
    })();
    const accepted = await call(origin, "POST", `/workspaces/${ws.id}/email-marketing/lists/${list.id}/imports`, {
      token: key,
      body: Readable.toWeb(createReadStream(csvFile, { highWaterMark: 64 * 1024 })),
      headers: { "content-type": "text/csv" },
    });
    const uploadS = (performance.now() - t0) / 1000;
    log(`upload answered 202 after ${uploadS.toFixed(2)} s: ${accepted.total_rows} rows in ${accepted.chunks_total} chunks`);

    let state = accepted;
    const progress = [];
    while (state.status !== "completed" && state.status !== "failed") {
      await sleep(POLL_MS);
      state = await call(origin, "GET", `/workspaces/${ws.id}/email-marketing/lists/${list.id}/imports/${accepted.id}?errors_limit=1`, {
        token: key,
      });
      progress.push([((performance.now() - t0) / 1000).toFixed(1), state.processed_rows]);
      log(
        `${((performance.now() - t0) / 1000).toFixed(1)} s: ${state.processed_rows.toLocaleString("en")} rows processed, ${state.chunks_done}/${state.chunks_total} chunks`,
      );
      if (performance.now() - t0 > 30 * 60_000) throw new Error("the import did not complete within 30 minutes");
    }
    const totalS = (performance.now() - t0) / 1000;
    clearInterval(sampler);
    liveRunning = false;
    await liveLoop;
    const heapPeak = heap.peak();
    const heapFloors = heap.floors();

    const after = Object.fromEntries(workerd.map((p) => [p.pid, memoryOf(p.pid)]));
    const d1Bytes = Number(execFileSync("du", ["-sb", path.join(work, "state", "v3", "d1")], { encoding: "utf8" }).split(/\s/)[0]);
    const liveAfter = liveEveryS > 0 ? await heap.live() : NaN;

    const expectedInvalid = Math.floor(ROWS / INVALID_EVERY);
    const ok =
      state.status === "completed" &&
      state.total_rows === ROWS &&
      state.processed_rows === ROWS &&
      state.created_count === ROWS - expectedInvalid &&
      state.error_count === expectedInvalid;
    if (!ok) throw new Error(`unexpected outcome: ${JSON.stringify({ ...state, errors: undefined })}`);
    const listNow = await call(origin, "GET", `/workspaces/${ws.id}/email-marketing/lists/${list.id}`, { token: key });

    heap.reset();
    const t1 = performance.now();
    const exportRes = await fetch(`${origin}/workspaces/${ws.id}/email-marketing/lists/${list.id}/export`, {
      headers: { authorization: `Bearer ${key}` },
    });
    let exportBytes = 0;
    let exportLines = 0;
    for await (const piece of exportRes.body) {
      exportBytes += piece.length;
      for (const b of piece) if (b === 0x0a) exportLines++;
    }
    const exportS = (performance.now() - t1) / 1000;
    const exportHeapPeak = heap.peak();
    await heap.stop();
    const afterExport = Object.fromEntries(workerd.map((p) => [p.pid, memoryOf(p.pid)]));

    return {
      rows: ROWS,
      bytes,
      uploadS,
      totalS,
      rowsPerS: ROWS / totalS,
      chunks: state.chunks_total,
      accepted: accepted.processed_rows,
      state,
      listCount: listNow.subscriber_count,
      progress,
      workerd: workerd.map((p) => ({
        pid: p.pid,
        role: p.role,
        beforeRssMb: before[p.pid].rss / 1024,
        beforeHwmMb: before[p.pid].hwm / 1024,
        sampledMaxRssMb: rssMaxKb[p.pid] / 1024,
        importHwmMb: after[p.pid].hwm / 1024,
        exportHwmMb: afterExport[p.pid].hwm / 1024,
      })),
      heap: {
        beforeMb: heapBefore / 2 ** 20,
        importPeakMb: heapPeak / 2 ** 20,
        floorsMb: heapFloors.map((f) => f / 2 ** 20),
        liveBeforeMb: liveBefore / 2 ** 20,
        liveAfterMb: liveAfter / 2 ** 20,
        liveDuringMb: liveDuring.map(([t, v]) => [t, v / 2 ** 20]),
        exportPeakMb: exportHeapPeak / 2 ** 20,
      },
      d1Bytes,
      exportS,
      exportBytes,
      exportLines,
      load: [load0, loadAverage()],
    };
  } finally {
    await stopWrangler();
    rmSync(work, { recursive: true, force: true });
  }
}

function report(r, m, when) {
  const w = r.workerd.find((p) => p.role === "worker");
  const proxy = r.workerd.find((p) => p.role === "proxy");
  const mb = (x) => `${x.toFixed(0)} MB`;
  const met = r.rowsPerS >= TARGET_ROWS_PER_S;
  return `## CSV import

Run by \`npm run bench:import\` (\`node bench/import/run.mjs${ROWS === 100_000 ? "" : ` --rows ${ROWS}`}\`) on ${when}:
\`wrangler dev\` with this repository's wrangler.toml and .dev.vars, a fresh local D1 (migrations applied), and the
flarecast-imports consumer running locally, as \`npm start\` runs them. The file is POSTed as it streams from disk;
the import is polled once a second until \`completed\`.

| | |
|---|---|
| Rows | ${r.rows.toLocaleString("en")} (${(r.bytes / 1e6).toFixed(1)} MB; email, quoted name, 3 attribute columns; 1 row in ${INVALID_EVERY} has an invalid email) |
| Upload (POST until 202: stream, parse, ${r.chunks} chunks queued) | ${r.uploadS.toFixed(1)} s |
| Upload to \`completed\` | **${r.totalS.toFixed(1)} s** |
| Throughput | **${Math.round(r.rowsPerS).toLocaleString("en")} rows/s** (target ≥ ${TARGET_ROWS_PER_S.toLocaleString("en")}: **${met ? "met" : "not met"}**) |
| Outcome | ${r.state.created_count.toLocaleString("en")} created, ${r.state.updated_count} updated, ${r.state.skipped_count} skipped, ${r.state.error_count} errors, as expected; list size ${r.listCount.toLocaleString("en")} |
| Worker V8 heap (used, via the inspector, every 100 ms) | ${r.heap.beforeMb.toFixed(1)} MB before the upload; peak **${r.heap.importPeakMb.toFixed(1)} MB** during the import (garbage included); peak ${r.heap.exportPeakMb.toFixed(1)} MB during the export |
| Worker V8 heap floor (lowest used size in each 5 s of the import) | ${r.heap.floorsMb.length ? `${r.heap.floorsMb.map((f) => f.toFixed(0)).join(", ")} MB` : "(the import took less than 5 s)"} |
| workerd peak RSS (VmHWM), the Worker's process | ${mb(w.beforeHwmMb)} before the upload; **${mb(w.importHwmMb)}** after the import; ${mb(w.exportHwmMb)} after the export (the local D1's files: ${(r.d1Bytes / 1e6).toFixed(0)} MB after the import) |
| workerd peak RSS (VmHWM), wrangler's proxy process | ${mb(proxy?.beforeHwmMb ?? NaN)} before; ${mb(proxy?.importHwmMb ?? NaN)} after the import |
| Export of the list afterwards | ${r.exportLines.toLocaleString("en")} lines, ${(r.exportBytes / 1e6).toFixed(1)} MB in ${r.exportS.toFixed(1)} s |

Progress (seconds since the upload began → rows processed): ${[[r.uploadS.toFixed(1), r.accepted]]
    .concat(r.progress)
    .map(([t, n]) => `${t} s → ${n.toLocaleString("en")}`)
    .join(
      ", ",
    )}. Locally the consumer runs on the Worker's one thread, alongside the upload, so most rows are done by the time the 202 arrives.

Machine: ${m.cpu_model}, ${m.nproc} CPUs; ${m.memory_gib} GiB; ${m.os}; Node ${m.node}; ${m.workerd_binary} (wrangler ${m.wrangler}); papaparse ${m.papaparse}.
Load average at start / end: ${r.load[0]} / ${r.load[1]} (the machine is shared).

Locally the Worker, the import consumer and D1 all run on one workerd thread, so the throughput is bound by that one
CPU (a profile shows it busy throughout); deployed, the consumer runs in invocations of its own and D1 elsewhere.

Reading the memory figures: the Worker's process also holds the local D1 database (SQLite in a Durable Object) and
the local queue broker, so its RSS grows with the data written, whatever the Worker does; the Worker's own V8 heap
is the figure that shows whether the import streams (it stays flat however many rows the file has).
`;
}

function memoryReport(r) {
  return `
### Live heap during an import

A second run of the same import, with a heap snapshot (which first collects all garbage) every 5 s while the
upload streams in and the chunks are processed: the Worker's live V8 heap, in MB at seconds since the upload began:
before the upload ${r.heap.liveBeforeMb.toFixed(1)}; ${r.heap.liveDuringMb
    .filter(([, v]) => Number.isFinite(v))
    .map(([t, v]) => `${t.toFixed(0)} s: ${v.toFixed(1)}`)
    .join("; ")}; after the import ${r.heap.liveAfterMb.toFixed(1)}
(${r.rows.toLocaleString("en")} rows). The snapshots pause the Worker for seconds each, so this run's time says nothing and is not reported.
`;
}

const when = `${new Date().toISOString().replace("T", " ").slice(0, 19)} UTC`;
try {
  const result = await run();
  const m = machine({
    workerd_binary: workerdVersion() ?? "?",
    wrangler: packageVersion("wrangler"),
    papaparse: packageVersion("papaparse"),
  });
  let text = report(result, m, when);
  if (!args.includes("--no-memory-run")) {
    log("memory run: heap snapshots every 5 s during the import");
    text += memoryReport(await run({ liveEveryS: 5 }));
  }

  console.log(text);
  if (WRITE) {
    writeResultsSection(ROOT, "## CSV import", text);
    log('wrote the "CSV import" section of bench/RESULTS.md');
  }
} catch (err) {
  console.error(err);
  process.exitCode = 1;
}
process.exit();
