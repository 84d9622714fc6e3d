import { and, eq, gte, inArray, lte, type SQL, sql } from "drizzle-orm";
import type { Database } from "../../db/client";
import { warmingProgress, workspaces } from "../../db/schema";
import { chunk, D1_MAX_BOUND_PARAMETERS } from "../../lib/chunk";
import { newId } from "../../lib/ids";
import { localDate } from "./local-day";
import { type TargetType, targetTable, type WarmingTarget } from "./targets";
import type { OutcomeCounts } from "./thresholds";

export type ProgressRow = typeof warmingProgress.$inferSelect;

export type WarmingEvent = "send" | "delivery" | "bounce" | "complaint" | "open";

export interface WarmingOutcome {
  workspace_id: string;
  target_type: TargetType;
  target_id: string;
  event: WarmingEvent;
  occurred_at: string;
}

export const countsOf = (row: ProgressRow): OutcomeCounts => ({
  sent: row.sent_count,
  delivered: row.delivered_count,
  bounced: row.bounce_count,
  complained: row.complaint_count,
});

/**
 * The row of the day a target is on, with the cap that applies to it. Outcomes may have created the row
 * already (events arrive around local midnight before the hourly job does), so the day and cap are overwritten
 * and the counters kept.
 */
export async function ensureProgressRow(
  db: Database,
  target: WarmingTarget,
  day: { date: string; warming_day: number; daily_limit: number },
  now: Date,
): Promise<void> {
  await db
    .insert(warmingProgress)
    .values({
      id: newId("wpr", now.getTime()),
      workspace_id: target.workspace_id,
      target_type: target.type,
      target_id: target.id,
      ...day,
      created_at: now.toISOString(),
      updated_at: now.toISOString(),
    })
    .onConflictDoUpdate({
      target: [warmingProgress.target_type, warmingProgress.target_id, warmingProgress.date],
      set: { warming_day: day.warming_day, daily_limit: day.daily_limit, updated_at: now.toISOString() },
    });
}

/** The target's rows from `from` to `to`, inclusive. */
export async function progressRows(db: Database, target: WarmingTarget, from: string, to: string): Promise<ProgressRow[]> {
  return db
    .select()
    .from(warmingProgress)
    .where(
      and(
        eq(warmingProgress.target_type, target.type),
        eq(warmingProgress.target_id, target.id),
        gte(warmingProgress.date, from),
        lte(warmingProgress.date, to),
      ),
    );
}

/** Rows of many targets of one type since `from` (the earliest date any of them needs). */
export async function progressRowsOf(db: Database, type: TargetType, ids: readonly string[], from: string): Promise<ProgressRow[]> {
  const rows: ProgressRow[] = [];
  for (const part of chunk(ids, D1_MAX_BOUND_PARAMETERS - 2)) {
    rows.push(
      ...(await db
        .select()
        .from(warmingProgress)
        .where(and(eq(warmingProgress.target_type, type), inArray(warmingProgress.target_id, part), gte(warmingProgress.date, from)))),
    );
  }
  return rows;
}

async function timezonesOf(db: Database, workspaceIds: readonly string[]): Promise<Map<string, string>> {
  const zones = new Map<string, string>();
  for (const part of chunk(workspaceIds, D1_MAX_BOUND_PARAMETERS)) {
    const rows = await db.select({ id: workspaces.id, timezone: workspaces.timezone }).from(workspaces).where(inArray(workspaces.id, part));
    for (const row of rows) zones.set(row.id, row.timezone);
  }
  return zones;
}

interface DayTally extends OutcomeCounts {
  target: WarmingTarget;
  date: string;
  opened: number;
}

const TALLY_FIELD: Record<WarmingEvent, keyof Pick<DayTally, "sent" | "delivered" | "bounced" | "complained" | "opened">> = {
  send: "sent",
  delivery: "delivered",
  bounce: "bounced",
  complaint: "complained",
  open: "opened",
};

function tally(outcomes: readonly WarmingOutcome[], zones: Map<string, string>): DayTally[] {
  const days = new Map<string, DayTally>();
  for (const o of outcomes) {
    const zone = zones.get(o.workspace_id);
    if (!zone) continue;
    const date = localDate(o.occurred_at, zone);
    const key = `${o.target_type}\u0000${o.target_id}\u0000${date}`;
    let day = days.get(key);
    if (!day) {
      day = {
        target: { workspace_id: o.workspace_id, type: o.target_type, id: o.target_id },
        date,
        sent: 0,
        delivered: 0,
        bounced: 0,
        complained: 0,
        opened: 0,
      };
      days.set(key, day);
    }
    day[TALLY_FIELD[o.event]] += 1;
  }
  return [...days.values()];
}

/** SQL twin of thresholds.ts `ratio`: clamped to [0, 1], null over nothing. */
const ratioSql = (part: SQL, whole: SQL) =>
  sql<number | null>`case when ${whole} > 0 then min(1.0, max(0.0, (${part}) * 1.0 / (${whole}))) end`;

/**
 * drizzle's INSERT … SELECT takes every column, in table order; the counters start at 0 and addToRow adds to them.
 * A day's row is created on its first outcome only while the target warms (or is paused); later outcomes of a
 * day that has a row always count, so bounces of a ramp's last day still land after it completes.
 */
function createRowIfWarming(db: Database, day: DayTally, now: Date) {
  const t = targetTable(day.target.type);
  const at = now.toISOString();
  return db
    .insert(warmingProgress)
    .select(
      db
        .select({
          id: sql<string>`${newId("wpr", now.getTime())}`.as("id"),
          workspace_id: t.workspace_id,
          target_type: sql<TargetType>`${day.target.type}`.as("target_type"),
          target_id: t.id,
          date: sql<string>`${day.date}`.as("date"),
          warming_day: t.warming_day,
          daily_limit: sql<number>`coalesce(${t.daily_limit}, 0)`.as("daily_limit"),
          sent_count: sql<number>`0`.as("sent_count"),
          delivered_count: sql<number>`0`.as("delivered_count"),
          bounce_count: sql<number>`0`.as("bounce_count"),
          complaint_count: sql<number>`0`.as("complaint_count"),
          open_count: sql<number>`0`.as("open_count"),
          bounce_rate: sql<number | null>`null`.as("bounce_rate"),
          complaint_rate: sql<number | null>`null`.as("complaint_rate"),
          delivery_rate: sql<number | null>`null`.as("delivery_rate"),
          created_at: sql<string>`${at}`.as("created_at"),
          updated_at: sql<string>`${at}`.as("updated_at"),
        })
        .from(t)
        .where(and(eq(t.id, day.target.id), eq(t.workspace_id, day.target.workspace_id), inArray(t.warming_status, ["warming", "paused"]))),
    )
    .onConflictDoNothing();
}

function addToRow(db: Database, day: DayTally, now: Date) {
  const p = warmingProgress;
  const sent = sql`${p.sent_count} + ${day.sent}`;
  const bounced = sql`${p.bounce_count} + ${day.bounced}`;
  const complained = sql`${p.complaint_count} + ${day.complained}`;
  return db
    .update(p)
    .set({
      sent_count: sent,
      delivered_count: sql`${p.delivered_count} + ${day.delivered}`,
      bounce_count: bounced,
      complaint_count: complained,
      open_count: sql`${p.open_count} + ${day.opened}`,
      bounce_rate: ratioSql(bounced, sent),
      complaint_rate: ratioSql(complained, sent),
      delivery_rate: ratioSql(sql`(${sent}) - (${bounced})`, sent),
      updated_at: now.toISOString(),
    })
    .where(
      and(
        eq(p.target_type, day.target.type),
        eq(p.target_id, day.target.id),
        eq(p.date, day.date),
        eq(p.workspace_id, day.target.workspace_id),
      ),
    );
}

const DAYS_PER_BATCH = 50;

/**
 * The statements that add outcomes to the warming_progress row of the workspace-local day each happened on, and
 * recompute that row's rates in the same statement (so concurrent consumers never overwrite each other's rates).
 * Outcomes are tallied per target and day first: two statements per target-day, not per event. `zones` maps each
 * workspace to its timezone; a caller that already holds them (the event cascade) folds these into its own batch.
 */
export function warmingOutcomeStatements(db: Database, outcomes: readonly WarmingOutcome[], zones: Map<string, string>, now: Date) {
  return tally(outcomes, zones).flatMap((day) => [createRowIfWarming(db, day, now), addToRow(db, day, now)]);
}

/**
 * Adds outcomes to their warming_progress rows (see warmingOutcomeStatements), DAYS_PER_BATCH target-days per batch.
 * `now` only stamps created_at / updated_at; a queue consumer has no scheduled time to pass, so it may omit it.
 */
export async function recordWarmingOutcomes(db: Database, outcomes: readonly WarmingOutcome[], now: Date = new Date()): Promise<void> {
  if (outcomes.length === 0) return;
  const zones = await timezonesOf(db, [...new Set(outcomes.map((o) => o.workspace_id))]);
  for (const statements of chunk(warmingOutcomeStatements(db, outcomes, zones, now), DAYS_PER_BATCH * 2)) {
    const [first, ...rest] = statements;
    if (first) await db.batch([first, ...rest]);
  }
}
