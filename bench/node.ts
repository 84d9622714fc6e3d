// The same benchmark cases as render.worker.ts, run in Node for reference (not workerd): `tsx bench/node.ts`.
// Prints the results as JSON on stdout.
import { allCases, breakdownCases, type Clock, diagnosticCases, mainCases, runAll } from "./suite";

/** Node's clock runs while code runs; the tick is kept (a macrotask) so both runtimes time the same batches. */
const clock: Clock = {
  now: () => performance.now(),
  tick: () => new Promise((resolve) => setImmediate(resolve)),
};

const set = process.argv[2] ?? "main";
const cases = set === "breakdown" ? [...breakdownCases, ...diagnosticCases] : set === "all" ? allCases : mainCases;
const batches = Number(process.argv[3] ?? 40);
const targetBatchMs = Number(process.argv[4] ?? 50);
const result = await runAll(clock, { batches, targetBatchMs }, cases);
process.stdout.write(`${JSON.stringify({ runtime: "node", node: process.version, v8: process.versions.v8, ...result }, null, 2)}\n`);
