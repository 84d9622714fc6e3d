import { and, eq, gte, type SQLWrapper, sql } from "drizzle-orm";
import type { Database } from "../../db/client";
import { dedicatedIps, ispMetrics, sendingDomains } from "../../db/schema";
import {
  type HealthScore,
  healthScoreFromCounts,
  type OutcomeCounts,
  type ReputationRates,
  ROUTING_HEALTH_FLOOR,
  ratesFromCounts,
} from "./health-score";
import type { Isp } from "./isp";
import { ispScores, type ReputationTarget } from "./isp-metrics";

/** A week: long enough to hold several sends of a weekly newsletter, short enough to show a change soon. */
export const HEALTH_WINDOW_DAYS = 7;

export interface TargetHealth extends ReputationTarget {
  window_days: number;
  since: string;
  counts: OutcomeCounts;
  rates: ReputationRates | null;
  /** Null until the target has sends with outcomes in the window. */
  score: number | null;
  status: HealthScore["status"] | null;
  components: HealthScore["components"] | null;
  /** Scores per ISP with enough volume to mean something. */
  isp: Partial<Record<Isp, number>>;
  below_routing_floor: boolean;
  computed_at: string;
}

const sum = (column: SQLWrapper) => sql<number>`coalesce(sum(${column}), 0)`.mapWith(Number);

async function windowCounts(db: Database, workspaceId: string, target: ReputationTarget, sinceDate: string): Promise<OutcomeCounts> {
  const [row] = await db
    .select({
      sent: sum(ispMetrics.sent_count),
      delivered: sum(ispMetrics.delivered_count),
      bounced: sum(ispMetrics.bounce_count),
      complained: sum(ispMetrics.complaint_count),
      opened: sum(ispMetrics.open_count),
      clicked: sum(ispMetrics.click_count),
    })
    .from(ispMetrics)
    .where(
      and(
        eq(ispMetrics.workspace_id, workspaceId),
        eq(ispMetrics.target_type, target.target_type),
        eq(ispMetrics.target_id, target.target_id),
        gte(ispMetrics.date, sinceDate),
      ),
    );
  return row;
}

/**
 * Scores a domain or IP over the last HEALTH_WINDOW_DAYS of delivery outcomes and stores the score on it,
 * where the router reads it.
 */
export async function refreshTargetHealth(db: Database, workspaceId: string, target: ReputationTarget, now: Date): Promise<TargetHealth> {
  const since = new Date(now.getTime() - (HEALTH_WINDOW_DAYS - 1) * 86_400_000).toISOString().slice(0, 10);
  const counts = await windowCounts(db, workspaceId, target, since);
  const health = healthScoreFromCounts(counts);
  const perIsp = (await ispScores(db, workspaceId, [target], since)).get(target.target_id) ?? {};
  const table = target.target_type === "domain" ? sendingDomains : dedicatedIps;
  await db
    .update(table)
    .set({ health_score: health?.score ?? null, health_status: health?.status ?? null })
    .where(and(eq(table.workspace_id, workspaceId), eq(table.id, target.target_id)));
  return {
    ...target,
    window_days: HEALTH_WINDOW_DAYS,
    since,
    counts,
    rates: ratesFromCounts(counts),
    score: health?.score ?? null,
    status: health?.status ?? null,
    components: health?.components ?? null,
    isp: perIsp,
    below_routing_floor: health !== null && health.score < ROUTING_HEALTH_FLOOR,
    computed_at: now.toISOString(),
  };
}
