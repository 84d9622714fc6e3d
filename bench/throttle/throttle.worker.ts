// The DomainThrottle benchmark Worker, run inside workerd by `wrangler dev --config bench/throttle/wrangler.toml`
// (see run.mjs). It exports the application's own DomainThrottle class and calls it over RPC, as the send
// consumer does.
//   GET /health                                      ready check
//   GET /reset?name=<instance>&cap=<n|none>           a new day for that instance, with that daily cap
//   GET /acquire?name=<instance>&n=<calls>&concurrency=<in flight>
//                                                    n acquire(1) calls, `concurrency` of them in flight at once
//   GET /state?name=<instance>&n=<calls>&concurrency=<in flight>
//                                                    the same with state() (a read, no write): the RPC's own cost
import { DomainThrottle } from "../../durable-objects/domain-throttle.do";

export { DomainThrottle };

interface BenchEnv {
  DOMAIN_THROTTLE: DurableObjectNamespace<DomainThrottle>;
}

function positiveInt(url: URL, name: string, fallback: number): number {
  const raw = url.searchParams.get(name);
  const n = raw === null ? fallback : Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a whole number`);
  return n;
}

function quantile(sorted: number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/**
 * Each caller loop takes the next call number until n are taken, so exactly n calls are made with at most
 * `concurrency` awaiting the Durable Object at any moment. `call` returns what it was granted. Time is read after I/O only (each call's await),
 * which is when workerd's clock moves on the edge too.
 */
async function callMany(n: number, concurrency: number, call: () => Promise<number>) {
  let taken = 0;
  let granted = 0;
  let refused = 0;
  let largestGrant = 0;
  const latencies: number[] = [];
  const caller = async () => {
    while (taken < n) {
      taken++;
      const t0 = performance.now();
      const grant = await call();
      latencies.push(performance.now() - t0);
      granted += grant;
      if (grant === 0) refused++;
      largestGrant = Math.max(largestGrant, grant);
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, caller));
  const elapsedMs = performance.now() - t0;
  latencies.sort((a, b) => a - b);
  return {
    calls: n,
    concurrency,
    granted,
    refused,
    largest_grant: largestGrant,
    elapsed_ms: elapsedMs,
    latency_ms: {
      p50: quantile(latencies, 0.5),
      p90: quantile(latencies, 0.9),
      p99: quantile(latencies, 0.99),
      max: quantile(latencies, 1),
    },
  };
}

/**
 * One more call right after the last answer: it reads the final count, and its duration shows whether the
 * instance was still busy with the burst (answers can all be back before it has finished with them).
 */
async function settle(stub: DurableObjectStub<DomainThrottle>) {
  const t0 = performance.now();
  const state = await stub.state();
  return { state, next_call_ms: performance.now() - t0 };
}

export default {
  async fetch(request, env): Promise<Response> {
    const started = performance.now();
    const url = new URL(request.url);
    if (url.pathname === "/health") return new Response("ok");
    const name = url.searchParams.get("name") ?? "bench";
    const stub = env.DOMAIN_THROTTLE.getByName(name);
    try {
      if (url.pathname === "/reset") {
        const cap = url.searchParams.get("cap");
        await stub.resetDay();
        const state = await stub.setDailyLimit(cap === null || cap === "none" ? null : positiveInt(url, "cap", 0));
        return Response.json(state);
      }
      const n = positiveInt(url, "n", 1000);
      const concurrency = Math.max(1, positiveInt(url, "concurrency", 1));
      if (url.pathname === "/acquire") {
        const result = await callMany(n, concurrency, async () => (await stub.acquire(1)).granted);
        return Response.json({ ...result, ...(await settle(stub)), handler_ms: performance.now() - started });
      }
      if (url.pathname === "/state") {
        const result = await callMany(n, concurrency, async () => {
          await stub.state();
          return 0;
        });
        return Response.json({ ...result, ...(await settle(stub)), handler_ms: performance.now() - started });
      }
    } catch (error) {
      return new Response(String(error), { status: 400 });
    }
    return new Response("not found", { status: 404 });
  },
} satisfies ExportedHandler<BenchEnv>;
