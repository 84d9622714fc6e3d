// The benchmark Worker, run inside workerd by `wrangler dev --config bench/wrangler.toml` (see run.mjs).
//   GET /health                      ready check
//   GET /probe?self=<origin>         which awaits move workerd's frozen clock on, and by how much
//   GET /run?set=main|breakdown      the benchmarks, timed with the batch-and-tick method (suite.ts)
//   GET /run?cases=<name>,<name>     only those cases
//   GET /repeat?case=<name>&n=<n>    one case n times with no clock at all, for timing from outside
import { allCases, breakdownCases, busyLoop, type Clock, diagnosticCases, mainCases, repeat, runAll } from "./suite";

/** setTimeout(0) is the tick: the probe shows it moves both clocks on, at the lowest cost of the waits tried. */
const clock: Clock = {
  now: () => performance.now(),
  tick: () => new Promise((resolve) => setTimeout(resolve, 0)),
};

const waits: Record<string, (self: string) => Promise<unknown>> = {
  "await Promise.resolve() (microtask, not I/O)": () => Promise.resolve(),
  "await crypto.subtle.digest (async, not I/O)": () => crypto.subtle.digest("SHA-256", new Uint8Array(64)),
  "await new Promise(r => setTimeout(r, 0))": () => new Promise((resolve) => setTimeout(resolve, 0)),
  "await scheduler.wait(0)": () => scheduler.wait(0),
  "await scheduler.wait(1)": () => scheduler.wait(1),
  "await fetch(self /health)": (self) => fetch(`${self}/health`).then((r) => r.arrayBuffer()),
};

/** About 20-40 ms of pure CPU work. */
const BUSY = 20_000_000;

async function probe(self: string) {
  const rows = [];
  for (const [name, wait] of Object.entries(waits)) {
    await new Promise((resolve) => setTimeout(resolve, 0));
    // A wait with no work before it: what the wait itself adds to a batch.
    const e0 = performance.now();
    await wait(self);
    const emptyMs = performance.now() - e0;
    // Busy work, read both clocks without I/O, then after the wait.
    const d0 = Date.now();
    const p0 = performance.now();
    const x = busyLoop(BUSY);
    const dDuring = Date.now() - d0;
    const pDuring = performance.now() - p0;
    await wait(self);
    rows.push({
      wait: name,
      date_now_during_busy_ms: dDuring,
      perf_now_during_busy_ms: pDuring,
      date_now_after_wait_ms: Date.now() - d0,
      perf_now_after_wait_ms: performance.now() - p0,
      empty_wait_ms: emptyMs,
      sink: x & 1,
    });
  }
  // Resolution: fractional parts of performance.now() over several ticks.
  const fractions = new Set<number>();
  for (let i = 0; i < 20; i++) {
    busyLoop(200_000);
    await new Promise((resolve) => setTimeout(resolve, 0));
    fractions.add(Math.round((performance.now() % 1) * 1000) / 1000);
  }
  return { busy_iterations: BUSY, rows, perf_now_fractional_parts: [...fractions] };
}

const json = (value: unknown, status = 200) =>
  new Response(JSON.stringify(value, null, 2), { status, headers: { "content-type": "application/json" } });

export default {
  async fetch(request) {
    const url = new URL(request.url);
    try {
      switch (url.pathname) {
        case "/health":
          return new Response("ok");
        case "/probe":
          return json(await probe(url.searchParams.get("self") ?? url.origin));
        case "/run": {
          const set = url.searchParams.get("set") ?? "main";
          const only = url.searchParams.get("cases")?.split(",");
          const cases = only
            ? allCases.filter((c) => only.includes(c.name))
            : set === "breakdown"
              ? [...breakdownCases, ...diagnosticCases]
              : set === "all"
                ? allCases
                : mainCases;
          const batches = Number(url.searchParams.get("batches") ?? 40);
          const targetBatchMs = Number(url.searchParams.get("target_ms") ?? 50);
          return json({ runtime: "workerd", ...(await runAll(clock, { batches, targetBatchMs }, cases)) });
        }
        case "/repeat":
          return json({ n: await repeat(url.searchParams.get("case") ?? "", Number(url.searchParams.get("n") ?? 0)) });
        default:
          return json({ error: "not found" }, 404);
      }
    } catch (err) {
      return json({ error: err instanceof Error ? `${err.message}\n${err.stack}` : String(err) }, 500);
    }
  },
} satisfies ExportedHandler;
