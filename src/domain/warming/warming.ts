import { and, eq, inArray, notInArray, sql } from "drizzle-orm";
import type { Database } from "../../db/client";
import { alerts, workspaces } from "../../db/schema";
import type { alertSeverities } from "../../db/schema/enums";
import { newId } from "../../lib/ids";
import { conflict, invalidField, notFound } from "../errors";
import { addDays, daysBetween, localDate, midnightOf } from "./local-day";
import { countsOf, ensureProgressRow, progressRows } from "./progress";
import { findSchedule, type ScheduleView, volumeForDay, type WarmingStep } from "./schedules";
import { loadTarget, refOf, type TargetRow, targetLabel, targetTable, type WarmingTarget } from "./targets";
import {
  type RateWindow,
  rateWindow,
  resolveThresholds,
  sumCounts,
  THRESHOLD_MINIMUM_VOLUME,
  THRESHOLD_WINDOW_DAYS,
  type WarmingThresholds,
  ZERO_COUNTS,
} from "./thresholds";
import { syncThrottle, throttleFor } from "./throttle";

export { recordWarmingOutcomes, type WarmingOutcome } from "./progress";
export type { WarmingTarget } from "./targets";
export { evaluateThresholds, type RateWindow, type WarmingThresholds } from "./thresholds";

export interface WarmingProgressView {
  target_type: WarmingTarget["type"];
  target_id: string;
  /** The domain's or IP's own status: warming, paused, active, … */
  status: TargetRow["status"];
  warming_status: TargetRow["warming_status"];
  schedule: ScheduleView | null;
  warming_day: number;
  /** The cap of the current day: 0 while paused, null when uncapped. */
  daily_limit: number | null;
  /** Sends granted today by the target's DomainThrottle, which is what enforces the cap. */
  daily_sent: number;
  /** When warming was started; pauses and resumes leave it alone. */
  started_at: string | null;
  paused_at: string | null;
  pause_reason: string | null;
  /** The workspace-local date that `today` is. */
  date: string;
  today: RateWindow;
  /** What the hourly threshold check judges: the last `days` local days, today included. */
  window: RateWindow & { days: number; minimum_volume: number };
  thresholds: WarmingThresholds;
}

/** A domain must pass DNS verification (an IP its PTR check) before it warms; a completed one may warm again. */
const STARTABLE_STATUSES = ["verified", "active"] as const;

/** The local date of day 1 once the paused days are left out: the start until a resume moves it forward. */
function dayOneOf(row: TargetRow): string | null {
  const from = row.warming_days_counted_from ?? row.warming_started_at;
  return from ? localDate(from, row.timezone) : null;
}

/** The state of a target on one day of its schedule: capped by that day's volume, or done after the last. */
function dayState(steps: readonly WarmingStep[], day: number) {
  const limit = volumeForDay(steps, day);
  if (limit === null) {
    const last = steps.at(-1)?.day ?? day;
    return { warming_status: "completed", status: "active", warming_day: last, daily_limit: null } as const;
  }
  return { warming_status: "warming", status: "warming", warming_day: day, daily_limit: limit } as const;
}

/**
 * The alert of a transition, inserted in the same batch right after the transition's UPDATE and only when that
 * UPDATE changed the row (changes() counts the statement before): a pause that lost a race to another
 * transition raises nothing, and a pause that happened is never left without its alert.
 */
function alertIfChanged(
  db: Database,
  target: WarmingTarget,
  alert: { severity: (typeof alertSeverities)[number]; alert_type: string; message: string; details: Record<string, unknown> },
  now: Date,
) {
  const t = targetTable(target.type);
  return db.insert(alerts).select(
    db
      .select({
        id: sql<string>`${newId("alr", now.getTime())}`.as("id"),
        workspace_id: t.workspace_id,
        severity: sql<typeof alert.severity>`${alert.severity}`.as("severity"),
        alert_type: sql<string>`${alert.alert_type}`.as("alert_type"),
        target_type: sql<string>`${target.type}`.as("target_type"),
        target_id: t.id,
        message: sql<string>`${alert.message}`.as("message"),
        details: sql<string>`${JSON.stringify(alert.details)}`.as("details"),
        acknowledged_at: sql<string | null>`null`.as("acknowledged_at"),
        created_at: sql<string>`${now.toISOString()}`.as("created_at"),
      })
      .from(t)
      .where(and(eq(t.id, target.id), sql`changes() = 1`)),
  );
}

function assertStartable(row: TargetRow): void {
  const label = targetLabel(row.type);
  if (row.warming_status === "warming") throw conflict(`${label} ${row.name} is already warming`);
  if (row.warming_status === "paused") throw conflict(`Warming of ${row.name} is paused: resume it instead of starting over`);
  if (!STARTABLE_STATUSES.includes(row.status as (typeof STARTABLE_STATUSES)[number])) {
    throw conflict(`${label} ${row.name} is ${row.status}: it must be verified before it can warm`);
  }
}

export async function startWarming(
  db: Database,
  env: Env,
  target: WarmingTarget,
  scheduleIdOrSlug: string,
  now: Date,
): Promise<WarmingProgressView> {
  const row = await loadTarget(db, target);
  const schedule = await findSchedule(db, target.workspace_id, scheduleIdOrSlug);
  if (!schedule) throw invalidField("body", "schedule", `no warming schedule has the id or slug "${scheduleIdOrSlug}"`);
  assertStartable(row);

  const t = targetTable(target.type);
  const at = now.toISOString();
  const [started] = await db
    .update(t)
    .set({
      ...dayState(schedule.steps, 1),
      warming_schedule_id: schedule.id,
      warming_started_at: at,
      warming_days_counted_from: at,
      warming_paused_at: null,
      warming_pause_reason: null,
      // A target that never had a daily reset would get one at the next hourly run, mid-day, and could then
      // send its first day's cap twice; today's count starts now instead.
      daily_reset_at: sql`coalesce(${t.daily_reset_at}, ${at})`,
      updated_at: at,
    })
    .where(and(eq(t.id, target.id), notInArray(t.warming_status, ["warming", "paused"]), inArray(t.status, [...STARTABLE_STATUSES])))
    .returning({ id: t.id });
  if (!started) throw conflict(`${targetLabel(target.type)} ${row.name} changed while warming was being started; try again`);

  await syncThrottle(db, env, target);
  await ensureProgressRow(db, target, { date: localDate(now, row.timezone), warming_day: 1, daily_limit: schedule.daily_volumes[0] }, now);
  return warmingProgress(db, env, target, now);
}

/**
 * Stops the target's sends for the rest of the day and every day after, until an operator resumes it: nothing
 * resumes a pause automatically, however the rates recover. Pausing a paused target changes nothing (the first
 * reason stands).
 */
export async function pauseWarming(
  db: Database,
  env: Env,
  target: WarmingTarget,
  reason: string,
  details: Record<string, unknown>,
  now: Date,
): Promise<void> {
  await pause(db, env, target, reason, { severity: "critical", alert_type: "warming_auto_paused", details }, now);
}

/** An operator's pause: the same stop as an automatic one, until resume, with the operator's reason. */
export async function pauseWarmingByOperator(
  db: Database,
  env: Env,
  target: WarmingTarget,
  reason: string | undefined,
  now: Date,
): Promise<WarmingProgressView> {
  await pause(
    db,
    env,
    target,
    reason ?? "paused by operator",
    { severity: "warning", alert_type: "warming_paused", details: { by: "operator" } },
    now,
  );
  return warmingProgress(db, env, target, now);
}

async function pause(
  db: Database,
  env: Env,
  target: WarmingTarget,
  reason: string,
  alert: { severity: (typeof alertSeverities)[number]; alert_type: string; details: Record<string, unknown> },
  now: Date,
): Promise<void> {
  const row = await loadTarget(db, target);
  if (row.warming_status === "paused") return;
  if (row.warming_status !== "warming") throw conflict(`${targetLabel(target.type)} ${row.name} is not warming`);

  const t = targetTable(target.type);
  const at = now.toISOString();
  await db.batch([
    db
      .update(t)
      .set({
        status: "paused",
        warming_status: "paused",
        warming_paused_at: at,
        warming_pause_reason: reason,
        daily_limit: 0,
        updated_at: at,
      })
      .where(and(eq(t.id, target.id), eq(t.warming_status, "warming"))),
    alertIfChanged(
      db,
      target,
      {
        severity: alert.severity,
        alert_type: alert.alert_type,
        message: `Warming of ${row.name} paused on day ${row.warming_day}: ${reason}`,
        details: { ...alert.details, reason, warming_day: row.warming_day, schedule_id: row.warming_schedule_id },
      },
      now,
    ),
  ]);
  await syncThrottle(db, env, target);
}

/**
 * The operator's way out of a pause. The ramp continues on the day it was paused on, with that day's cap: the
 * paused days do not count as warming days, so the days are counted from the local midnight that makes today
 * that day. When warming started stays as it was.
 */
export async function resumeWarming(db: Database, env: Env, target: WarmingTarget, now: Date): Promise<WarmingProgressView> {
  const row = await loadTarget(db, target);
  if (row.warming_status !== "paused") {
    throw conflict(`Warming of ${row.name} is ${row.warming_status.replace("_", " ")}: only a paused warming can be resumed`);
  }
  const schedule = row.warming_schedule_id ? await findSchedule(db, target.workspace_id, row.warming_schedule_id) : null;
  if (!schedule) throw conflict(`Warming of ${row.name} has no schedule to resume`);

  const today = localDate(now, row.timezone);
  const next = dayState(schedule.steps, row.warming_day);
  const t = targetTable(target.type);
  const at = now.toISOString();
  await db.batch([
    db
      .update(t)
      .set({
        ...next,
        warming_days_counted_from: midnightOf(addDays(today, 1 - row.warming_day), row.timezone).toISOString(),
        warming_paused_at: null,
        warming_pause_reason: null,
        updated_at: at,
      })
      .where(and(eq(t.id, target.id), eq(t.warming_status, "paused"))),
    alertIfChanged(
      db,
      target,
      {
        severity: "info",
        alert_type: "warming_resumed",
        message: `Warming of ${row.name} resumed by operator on day ${next.warming_day}`,
        details: {
          warming_day: next.warming_day,
          daily_limit: next.daily_limit,
          paused_at: row.warming_paused_at,
          pause_reason: row.warming_pause_reason,
        },
      },
      now,
    ),
  ]);
  await syncThrottle(db, env, target);
  if (next.daily_limit !== null) {
    await ensureProgressRow(db, target, { date: today, warming_day: next.warming_day, daily_limit: next.daily_limit }, now);
  }
  return warmingProgress(db, env, target, now);
}

export async function warmingProgress(db: Database, env: Env, target: WarmingTarget, now: Date): Promise<WarmingProgressView> {
  const row = await loadTarget(db, target);
  const today = localDate(now, row.timezone);
  const [schedule, rows, throttle] = await Promise.all([
    row.warming_schedule_id ? findSchedule(db, target.workspace_id, row.warming_schedule_id) : null,
    progressRows(db, target, addDays(today, 1 - THRESHOLD_WINDOW_DAYS), today),
    throttleFor(env, target).state(),
  ]);
  const todayRow = rows.find((r) => r.date === today);
  return {
    target_type: target.type,
    target_id: target.id,
    status: row.status,
    warming_status: row.warming_status,
    schedule,
    warming_day: row.warming_day,
    daily_limit: row.daily_limit,
    daily_sent: throttle.daily_sent,
    started_at: row.warming_started_at,
    paused_at: row.warming_paused_at,
    pause_reason: row.warming_pause_reason,
    date: today,
    today: rateWindow(todayRow ? countsOf(todayRow) : ZERO_COUNTS),
    window: { ...rateWindow(sumCounts(rows.map(countsOf))), days: THRESHOLD_WINDOW_DAYS, minimum_volume: THRESHOLD_MINIMUM_VOLUME },
    thresholds: resolveThresholds(row.settings),
  };
}

export async function thresholdsFor(db: Database, workspaceId: string): Promise<WarmingThresholds> {
  const workspace = await db.select({ settings: workspaces.settings }).from(workspaces).where(eq(workspaces.id, workspaceId)).get();
  if (!workspace) throw notFound("Workspace");
  return resolveThresholds(workspace.settings);
}

/**
 * Moves one warming target to the local day it is on: the days elapsed since its start, so a missed hourly run
 * (or an outage of days) lands on the right day instead of one step behind. Returns what happened.
 */
export async function advanceTarget(
  db: Database,
  env: Env,
  row: TargetRow,
  steps: readonly WarmingStep[],
  now: Date,
): Promise<"advanced" | "completed" | "unchanged"> {
  const today = localDate(now, row.timezone);
  const dayOne = dayOneOf(row);
  if (!dayOne || today <= addDays(dayOne, row.warming_day - 1)) return "unchanged";
  const day = daysBetween(dayOne, today) + 1;
  const next = dayState(steps, day);
  const t = targetTable(row.type);
  const [moved] = await db
    .update(t)
    .set({ ...next, updated_at: now.toISOString() })
    .where(and(eq(t.id, row.id), eq(t.warming_status, "warming"), eq(t.warming_day, row.warming_day)))
    .returning({ id: t.id });
  if (!moved) return "unchanged";

  const target = refOf(row);
  await syncThrottle(db, env, target);
  if (next.daily_limit === null) return "completed";
  await ensureProgressRow(db, target, { date: today, warming_day: day, daily_limit: next.daily_limit }, now);
  return "advanced";
}
