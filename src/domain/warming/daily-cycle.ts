import { and, eq, inArray, isNull, lt, or } from "drizzle-orm";
import type { Database } from "../../db/client";
import { workspaces } from "../../db/schema";
import { chunk } from "../../lib/chunk";
import { startOfLocalDay } from "./local-day";
import { stepsOf } from "./schedules";
import { selectTargets, TARGET_TYPES, type TargetRow, type TargetType, targetTable, type WarmingTarget } from "./targets";
import { syncThrottle, throttleFor } from "./throttle";
import { advanceTarget } from "./warming";

/** DO calls in flight at once: enough to be quick, few enough to stay clear of the subrequest limits. */
const DO_CONCURRENCY = 25;

async function inGroups<T, R>(items: readonly T[], run: (item: T) => Promise<R>): Promise<PromiseSettledResult<R>[]> {
  const settled: PromiseSettledResult<R>[] = [];
  for (const group of chunk(items, DO_CONCURRENCY)) settled.push(...(await Promise.allSettled(group.map(run))));
  return settled;
}

async function rampingTargets(db: Database): Promise<TargetRow[]> {
  const rows: TargetRow[] = [];
  for (const type of TARGET_TYPES) {
    const found = await selectTargets(db, type, (t) => inArray(t.warming_status, ["warming", "paused"]));
    rows.push(...found.map((row) => ({ ...row, type })));
  }
  return rows;
}

/**
 * Moves every warming target whose workspace has reached a new local day onto that day of its schedule, and
 * completes those past its last day. Every other warming or paused target has its throttle re-synced to D1,
 * which repairs a DO call that failed after a transition; it sets the value the DO already holds otherwise,
 * so a second run in the same local day changes nothing.
 */
export async function advanceWarmingDays(db: Database, env: Env, now: Date) {
  const rows = await rampingTargets(db);
  const steps = await stepsOf(db, [...new Set(rows.map((r) => r.warming_schedule_id).filter((id): id is string => id !== null))]);
  const summary = { advanced: 0, completed: 0, synced: 0 };
  for (const row of rows) {
    const schedule = row.warming_schedule_id ? steps.get(row.warming_schedule_id) : undefined;
    const outcome = row.warming_status === "warming" && schedule ? await advanceTarget(db, env, row, schedule, now) : "unchanged";
    if (outcome === "unchanged") {
      await syncThrottle(db, env, { workspace_id: row.workspace_id, type: row.type, id: row.id });
      summary.synced += 1;
    } else {
      summary[outcome] += 1;
    }
  }
  return summary;
}

/**
 * Claims the targets of one table whose workspace's local midnight has passed since their last reset, for all
 * workspaces in one time zone: the claim (daily_reset_at = now) is a conditional UPDATE, so concurrent runs
 * never reset a target twice in a day, which would let it send its cap twice.
 */
function claimResets(db: Database, type: TargetType, timezone: string, now: Date) {
  const t = targetTable(type);
  const midnight = startOfLocalDay(now, timezone).toISOString();
  const inZone = db.select({ id: workspaces.id }).from(workspaces).where(eq(workspaces.timezone, timezone));
  return db
    .update(t)
    .set({ daily_sent: 0, daily_reset_at: now.toISOString(), updated_at: now.toISOString() })
    .where(and(inArray(t.workspace_id, inZone), or(isNull(t.daily_reset_at), lt(t.daily_reset_at, midnight))))
    .returning({ id: t.id, workspace_id: t.workspace_id });
}

const ZONES_PER_BATCH = 50;
/** Ids per statement: D1's 100 bound parameters, less room for the SET values. */
const IDS_PER_STATEMENT = 90;

/**
 * Starts a new day for every sending domain and dedicated IP (warming or not) of the workspaces whose local
 * midnight has passed since the target's last reset: daily_sent = 0 in D1 and in its DomainThrottle. A target
 * whose DO could not be reset is unclaimed (daily_reset_at = null) so that the next hourly run retries it, and
 * the run fails so that an operator sees it.
 */
export async function resetDailyCounters(db: Database, env: Env, now: Date) {
  const zones = (await db.selectDistinct({ timezone: workspaces.timezone }).from(workspaces)).map((z) => z.timezone);
  const claimed: WarmingTarget[] = [];
  for (const type of TARGET_TYPES) {
    for (const part of chunk(zones, ZONES_PER_BATCH)) {
      const [first, ...rest] = part.map((zone) => claimResets(db, type, zone, now));
      if (!first) continue;
      for (const rows of await db.batch([first, ...rest])) claimed.push(...rows.map((r) => ({ ...r, type })));
    }
  }

  const settled = await inGroups(claimed, (target) => throttleFor(env, target).resetDay());
  const failed = claimed.filter((_, i) => settled[i].status === "rejected");
  for (const type of TARGET_TYPES) {
    const t = targetTable(type);
    const ids = failed.filter((f) => f.type === type).map((f) => f.id);
    for (const part of chunk(ids, IDS_PER_STATEMENT)) await db.update(t).set({ daily_reset_at: null }).where(inArray(t.id, part));
  }
  if (failed.length > 0) {
    const reason = (settled.find((s) => s.status === "rejected") as PromiseRejectedResult).reason;
    throw new Error(`${failed.length} of ${claimed.length} throttles could not be reset (retried next hour): ${String(reason)}`);
  }
  return {
    reset: claimed.length,
    domains: claimed.filter((c) => c.type === "domain").length,
    ips: claimed.filter((c) => c.type === "ip").length,
  };
}
