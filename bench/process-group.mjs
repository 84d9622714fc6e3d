// Process groups for the benchmark runners (through wrangler-dev.mjs): a child spawned detached leads a group
// of its own with everything it starts, so stopping the group stops all of it.
import { execFileSync } from "node:child_process";
import { createServer } from "node:net";

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** The processes of a group, `{pid, comm}` each; none once the group is gone. */
export function groupMembers(pgid) {
  try {
    return execFileSync("ps", ["-o", "pid=,comm=", "-g", String(pgid)], { encoding: "utf8" })
      .trim()
      .split("\n")
      .filter(Boolean)
      .map((line) => {
        const [pid, comm] = line.trim().split(/\s+/);
        return { pid: Number(pid), comm };
      });
  } catch {
    return []; // ps exits 1 when the group is empty
  }
}

/**
 * SIGTERM to the child's whole group, SIGKILL if it is still there after a grace period; throws if anything of
 * the group survives. Returns what the group held before and whether SIGKILL was needed.
 */
export async function stopProcessGroup(child, log) {
  const pgid = child.pid;
  const before = groupMembers(pgid);
  const exited = child.exitCode !== null ? Promise.resolve() : new Promise((resolve) => child.once("exit", resolve));
  try {
    process.kill(-pgid, "SIGTERM");
  } catch {
    // already gone
  }
  await Promise.race([exited, sleep(10_000)]);
  for (let i = 0; i < 40 && groupMembers(pgid).length > 0; i++) await sleep(250);
  let killed = false;
  if (groupMembers(pgid).length > 0) {
    log(`process group ${pgid} still running after SIGTERM; sending SIGKILL`);
    killed = true;
    try {
      process.kill(-pgid, "SIGKILL");
    } catch {
      // gone in between
    }
    await sleep(500);
  }
  const left = groupMembers(pgid);
  if (left.length > 0) throw new Error(`processes left running in group ${pgid}: ${JSON.stringify(left)}`);
  return { before, killed };
}

/** On Ctrl-C or SIGTERM, kill the group of every child `current()` yields, run `cleanup`, and exit. */
export function killGroupsOnInterrupt(current, cleanup = () => {}) {
  for (const signal of ["SIGINT", "SIGTERM"]) {
    process.on(signal, () => {
      for (const child of current()) {
        try {
          process.kill(-child.pid, "SIGKILL");
        } catch {
          // gone
        }
      }
      cleanup();
      process.exit(130);
    });
  }
}
