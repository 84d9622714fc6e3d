// What every benchmark report says about the machine it ran on. The machine is shared, so each report also
// gives the load average at its start and end, and says so when the machine was busy.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

const ROOT = path.resolve(import.meta.dirname, "..");

/** When a run started, as the results files print it: `2026-12-04 21:55:02 UTC`. */
export const runTimestamp = (date = new Date()) =>
  date
    .toISOString()
    .replace("T", " ")
    .replace(/\.\d+Z$/, " UTC");

export const loadAverage = () =>
  os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(" ");

/** The installed version, which may be newer than package.json's range. */
export const packageVersion = (name) => JSON.parse(readFileSync(path.join(ROOT, "node_modules", name, "package.json"), "utf8")).version;

/** What the workerd binary says it is (its build date), or null if it cannot run. */
export function workerdVersion() {
  try {
    return execFileSync(path.join(ROOT, "node_modules/.bin/workerd"), ["--version"], { encoding: "utf8" }).trim();
  } catch {
    return null;
  }
}

/** `extra` (a runner's versions) goes between Node and `loadavg_start`, where each runner's results.json has had them. */
export function machine(extra = {}) {
  const cpuinfo = readFileSync("/proc/cpuinfo", "utf8");
  return {
    nproc: execFileSync("nproc", { encoding: "utf8" }).trim(),
    cpu_model: cpuinfo.match(/^model name\s*:\s*(.*)$/m)?.[1] ?? "unknown",
    cpu_mhz: cpuinfo.match(/^cpu MHz\s*:\s*(.*)$/m)?.[1] ?? "unknown",
    memory_gib: (os.totalmem() / 2 ** 30).toFixed(1),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    ...extra,
    loadavg_start: loadAverage(),
  };
}

/** The higher 1-minute load average of the run's start and end if it exceeded half the CPUs, else 0. */
export function busyLoad(mach) {
  const busiest = Math.max(Number(mach.loadavg_start.split(" ")[0]), Number(mach.loadavg_end.split(" ")[0]));
  return busiest > Number(mach.nproc) / 2 ? busiest : 0;
}

/** The "### Machine" table: CPU, memory and OS, the runner's own `rows` ([label, value] pairs), the load average. */
export function machineTable(mach, rows) {
  return [
    "| | |",
    "|---|---|",
    `| CPU | ${mach.cpu_model}, ${mach.nproc} CPUs (\`nproc\`), ${mach.cpu_mhz} MHz as reported by /proc/cpuinfo |`,
    `| Memory | ${mach.memory_gib} GiB |`,
    `| OS | ${mach.os} |`,
    ...rows.map(([label, value]) => `| ${label} | ${value} |`),
    `| Load average at start / end | ${mach.loadavg_start} / ${mach.loadavg_end} |`,
  ].join("\n");
}
