// `wrangler dev` as the benchmark runners use it: on free loopback ports, in a process group of its own so that
// wrangler and every workerd it starts are stopped as one, and no benchmark leaves a server behind.
import { execFileSync, spawn } from "node:child_process";
import path from "node:path";
import { onCpus } from "./cpu-affinity.mjs";
import { freePort, groupMembers, killGroupsOnInterrupt, sleep, stopProcessGroup } from "./process-group.mjs";

const ROOT = path.resolve(import.meta.dirname, "..");
const WRANGLER = path.join(ROOT, "node_modules/wrangler/bin/wrangler.js");
const QUIET = { WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" };

/** Every group started here and not yet stopped, including one still starting up. */
const running = new Set();

/**
 * On Ctrl-C or SIGTERM, kill every `wrangler dev` group still running, run `cleanup`, and exit. Call it once, at
 * the top of a runner: the process group is detached, so the terminal's Ctrl-C never reaches it by itself.
 */
export function stopWranglerDevOnInterrupt(cleanup) {
  killGroupsOnInterrupt(() => running, cleanup);
}

/** A wrangler command run to completion (`CI` set, so that it never prompts); its stdout, parsed if `json`. */
export function wranglerSync(args, { json = false } = {}) {
  const out = execFileSync(process.execPath, [WRANGLER, ...args], {
    cwd: ROOT,
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, CI: "1", ...QUIET },
  });
  return json ? JSON.parse(out.slice(out.indexOf("["))) : out;
}

export function applyMigrations(persistTo, log) {
  log(`applying migrations to a fresh local D1 in ${persistTo}`);
  wranglerSync(["d1", "migrations", "apply", "DB", "--local", "--persist-to", persistTo]);
}

/**
 * Starts `wrangler dev` and waits until `GET /health` satisfies `isReady(response)`. If it never does, the group
 * is stopped before this throws, so a failed start leaves nothing running either.
 *
 * `config`, `persistTo` and `envFile` become wrangler's options of the same name when given; `args` are added
 * after them and `env` to its environment. `cpus` (a taskset CPU list) pins wrangler and every workerd it starts. Returns the origin and ports, the group's id (`pgid`) and its
 * processes now (`members()`), everything wrangler has printed so far (`output`), and `stop()`, which resolves to
 * what `stopProcessGroup` found plus a sentence saying how the group went (`summary`, which some runners put in
 * their report); calling it again returns the same promise.
 */
export async function startWranglerDev({
  config,
  persistTo,
  envFile,
  args = [],
  env = {},
  cpus,
  isReady = (res) => res.ok,
  timeoutMs = 60_000,
  log,
}) {
  const port = await freePort();
  const inspectorPort = await freePort();
  const argv = [
    WRANGLER,
    "dev",
    ...(config ? ["--config", config] : []),
    "--ip",
    "127.0.0.1",
    "--port",
    String(port),
    "--inspector-port",
    String(inspectorPort),
    ...(persistTo ? ["--persist-to", persistTo] : []),
    ...(envFile ? ["--env-file", envFile] : []),
    "--show-interactive-dev-session=false",
    ...args,
  ];
  log(`starting wrangler dev on port ${port}${persistTo ? ` (persist-to ${persistTo})` : ""}`);
  const child = spawn(...onCpus(cpus, process.execPath, argv), {
    cwd: ROOT,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...QUIET, ...env },
  });
  running.add(child);
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));

  let stopped;
  const stop = () => {
    stopped ??= (async () => {
      const { before, killed } = await stopProcessGroup(child, log);
      running.delete(child);
      const workerds = before.filter((p) => p.comm === "workerd").length;
      const summary = `process group ${child.pid} (wrangler + ${workerds} workerd process${workerds === 1 ? "" : "es"}) stopped with SIGTERM${killed ? " then SIGKILL" : ""}; afterwards \`ps -g ${child.pid}\` listed nothing`;
      log(summary);
      return { before, killed, summary };
    })();
    return stopped;
  };

  const origin = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && child.exitCode === null) {
    try {
      if (await isReady(await fetch(`${origin}/health`))) {
        return {
          origin,
          port,
          inspectorPort,
          pgid: child.pid,
          members: () => groupMembers(child.pid),
          get output() {
            return output;
          },
          stop,
        };
      }
    } catch {
      // not listening yet
    }
    await sleep(250);
  }
  await stop();
  throw new Error(`wrangler dev did not become ready:\n${output}`);
}
