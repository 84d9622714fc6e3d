// CPU affinity for the benchmarks that put a load generator and the servers it measures on one machine: the load
// generator on a CPU of its own and the servers on the rest, so the kernel's scheduler does not hand CPU time back and
// forth between the two and the servers' requests/s measure the servers, not how the scheduler shared the CPUs.
import { execFileSync } from "node:child_process";
import os from "node:os";

function hasTaskset() {
  try {
    execFileSync("taskset", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/**
 * The CPU lists (in taskset's syntax) for the load generator and for the servers: CPU 0, and all the others. Null
 * when there is only one CPU or no `taskset` (util-linux), and then nothing is pinned.
 */
export function splitCpus() {
  const cpus = os.availableParallelism();
  if (cpus < 2 || process.platform !== "linux" || !hasTaskset()) return null;
  return { loadGenerator: "0", servers: cpus === 2 ? "1" : `1-${cpus - 1}` };
}

/** Pins every thread of this process (the load generator) to `cpus`; the processes it spawns later inherit it. */
export function pinThisProcess(cpus) {
  execFileSync("taskset", ["--all-tasks", "--cpu-list", "--pid", cpus, String(process.pid)], { stdio: "ignore" });
}

/** The command and arguments that run `command args…` on `cpus` (as is when `cpus` is undefined). */
export function onCpus(cpus, command, args) {
  return cpus === undefined ? [command, args] : ["taskset", ["--cpu-list", cpus, command, ...args]];
}
