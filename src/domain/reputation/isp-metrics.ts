import { and, eq, gte, inArray, or, sql } from "drizzle-orm";
import type { Database } from "../../db/client";
import { ispMetrics } from "../../db/schema";
import type { warmingTargetTypes } from "../../db/schema/enums";
import { chunk, D1_MAX_BOUND_PARAMETERS, rowsPerInsert } from "../../lib/chunk";
import { newId } from "../../lib/ids";
import { healthScoreFromCounts, type OutcomeCounts } from "./health-score";
import { classifyIsp, type Isp, isps } from "./isp";

export type TargetType = (typeof warmingTargetTypes)[number];

export interface DeliveryOutcome {
  workspace_id: string;
  target_type: TargetType;
  target_id: string;
  recipient_email: string;
  event: "send" | "delivery" | "bounce" | "complaint" | "open" | "click";
  /** RFC 3339; counted on its UTC date. */
  occurred_at: string;
}

export interface ReputationTarget {
  target_type: TargetType;
  target_id: string;
}

const COUNTER_OF = {
  send: "sent_count",
  delivery: "delivered_count",
  bounce: "bounce_count",
  complaint: "complaint_count",
  open: "open_count",
  click: "click_count",
} as const;
type Counter = (typeof COUNTER_OF)[DeliveryOutcome["event"]];
const COUNTERS = Object.values(COUNTER_OF);

type MetricsRow = typeof ispMetrics.$inferInsert & Record<Counter, number>;

/** Bound parameters per inserted row: every column but inbox_placement_rate, which is left null. */
const PARAMETERS_PER_ROW = 14;

function utcDate(timestamp: string): string {
  const ms = Date.parse(timestamp);
  if (Number.isNaN(ms)) throw new TypeError(`Not an RFC 3339 timestamp: ${JSON.stringify(timestamp)}`);
  return new Date(ms).toISOString().slice(0, 10);
}

/** One row per workspace × target × ISP × UTC date, its counters summed over the outcomes. */
function aggregate(outcomes: readonly DeliveryOutcome[], now: string): MetricsRow[] {
  const rows = new Map<string, MetricsRow>();
  for (const o of outcomes) {
    const isp = classifyIsp(o.recipient_email);
    const date = utcDate(o.occurred_at);
    const key = `${o.workspace_id}\n${o.target_type}\n${o.target_id}\n${isp}\n${date}`;
    let row = rows.get(key);
    if (!row) {
      row = {
        id: newId("ism"),
        workspace_id: o.workspace_id,
        target_type: o.target_type,
        target_id: o.target_id,
        isp,
        date,
        sent_count: 0,
        delivered_count: 0,
        bounce_count: 0,
        complaint_count: 0,
        open_count: 0,
        click_count: 0,
        created_at: now,
        updated_at: now,
      };
      rows.set(key, row);
    }
    row[COUNTER_OF[o.event]] += 1;
  }
  return [...rows.values()];
}

const addExcluded = (counter: Counter) => sql`${sql.identifier(counter)} + excluded.${sql.identifier(counter)}`;

/**
 * The statements that add outcomes to the daily per-ISP counters. Outcomes are summed in memory first, so a
 * webhook batch of a thousand events touches a handful of rows. The update applies only to a row of the same
 * workspace: an outcome naming another workspace's target is dropped rather than counted there.
 */
export function deliveryOutcomeStatements(db: Database, outcomes: readonly DeliveryOutcome[]) {
  const rows = aggregate(outcomes, new Date().toISOString());
  const set = Object.fromEntries([...COUNTERS.map((c) => [c, addExcluded(c)]), ["updated_at", sql`excluded.updated_at`]]);
  return chunk(rows, rowsPerInsert(PARAMETERS_PER_ROW)).map((part) =>
    db
      .insert(ispMetrics)
      .values(part)
      .onConflictDoUpdate({
        target: [ispMetrics.target_type, ispMetrics.target_id, ispMetrics.isp, ispMetrics.date],
        set,
        setWhere: sql`${ispMetrics.workspace_id} = excluded.workspace_id`,
      }),
  );
}

/** Adds outcomes to the daily per-ISP counters in one D1 batch (one transaction: all of it counts or none). */
export async function recordDeliveryOutcomes(db: Database, outcomes: DeliveryOutcome[]): Promise<void> {
  const [first, ...rest] = deliveryOutcomeStatements(db, outcomes);
  if (first) await db.batch([first, ...rest]);
}

/**
 * An ISP's score needs this many sends in the window. Below it one bounce or complaint swings the score by
 * whole tiers (one complaint in 100 deliveries is already 1 %, ten times the complaint threshold), so a
 * score would say more about chance than about the domain's standing at that ISP.
 */
export const MIN_ISP_SENDS = 100;

/** Target ids per query: two more parameters (workspace, date) and at most two target-type literals. */
const TARGETS_PER_QUERY = D1_MAX_BOUND_PARAMETERS - 4;

const total = (column: (typeof ispMetrics)[Counter]) => sql<number>`sum(${column})`.mapWith(Number);

/**
 * Per-ISP health scores of each target over the counters dated on or after `since` (an RFC 3339 timestamp or
 * a YYYY-MM-DD date; its UTC date is used). Every target asked for is in the map; an ISP appears only with
 * at least MIN_ISP_SENDS sends and a score (see healthScoreFromCounts for "no data").
 */
export async function ispScores(
  db: Database,
  workspaceId: string,
  targets: ReputationTarget[],
  since: string,
): Promise<Map<string, Partial<Record<Isp, number>>>> {
  const scores = new Map<string, Partial<Record<Isp, number>>>(targets.map((t) => [t.target_id, {}]));
  const fromDate = utcDate(since);
  const known = new Set<string>(isps);
  for (const part of chunk(targets, TARGETS_PER_QUERY)) {
    const ofType = (type: TargetType) => part.filter((t) => t.target_type === type).map((t) => t.target_id);
    const byType = (["domain", "ip"] as const)
      .map((type) => [type, ofType(type)] as const)
      .filter(([, ids]) => ids.length > 0)
      .map(([type, ids]) => and(eq(ispMetrics.target_type, type), inArray(ispMetrics.target_id, ids)));
    const rows = await db
      .select({
        target_id: ispMetrics.target_id,
        isp: ispMetrics.isp,
        sent: total(ispMetrics.sent_count),
        delivered: total(ispMetrics.delivered_count),
        bounced: total(ispMetrics.bounce_count),
        complained: total(ispMetrics.complaint_count),
        opened: total(ispMetrics.open_count),
        clicked: total(ispMetrics.click_count),
      })
      .from(ispMetrics)
      .where(and(eq(ispMetrics.workspace_id, workspaceId), gte(ispMetrics.date, fromDate), or(...byType)))
      .groupBy(ispMetrics.target_type, ispMetrics.target_id, ispMetrics.isp);
    for (const row of rows) {
      if (!known.has(row.isp) || row.sent < MIN_ISP_SENDS) continue;
      const health = healthScoreFromCounts(row satisfies OutcomeCounts);
      const entry = scores.get(row.target_id);
      if (health && entry) entry[row.isp as Isp] = health.score;
    }
  }
  return scores;
}
