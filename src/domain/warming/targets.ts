import { and, eq } from "drizzle-orm";
import type { Database } from "../../db/client";
import { dedicatedIps, sendingDomains, workspaces } from "../../db/schema";
import type { warmingTargetTypes } from "../../db/schema/enums";
import { notFound } from "../errors";

export type TargetType = (typeof warmingTargetTypes)[number];

/** A sending domain or a dedicated IP: both carry the same warming state columns. */
export interface WarmingTarget {
  workspace_id: string;
  type: TargetType;
  id: string;
}

export const TARGET_TYPES: readonly TargetType[] = ["domain", "ip"];

const TABLES = { domain: sendingDomains, ip: dedicatedIps } as const;

export const targetTable = (type: TargetType) => TABLES[type];

export const targetLabel = (type: TargetType) => (type === "domain" ? "Sending domain" : "Dedicated IP");

/** The columns warming reads, with the workspace's time zone and settings, from either table. */
export function targetColumns(type: TargetType) {
  const t = targetTable(type);
  return {
    id: t.id,
    /** What an operator recognises the target by: the domain name or the IP address. */
    name: type === "domain" ? sendingDomains.domain : dedicatedIps.ip_address,
    workspace_id: t.workspace_id,
    status: t.status,
    warming_status: t.warming_status,
    warming_schedule_id: t.warming_schedule_id,
    warming_started_at: t.warming_started_at,
    warming_days_counted_from: t.warming_days_counted_from,
    warming_day: t.warming_day,
    warming_paused_at: t.warming_paused_at,
    warming_pause_reason: t.warming_pause_reason,
    daily_limit: t.daily_limit,
    daily_reset_at: t.daily_reset_at,
    timezone: workspaces.timezone,
    settings: workspaces.settings,
  };
}

export type TargetRow = Awaited<ReturnType<typeof selectTargets>>[number] & { type: TargetType };

/** Targets of one table joined with their workspace, filtered by `where` on that table. */
export function selectTargets(db: Database, type: TargetType, where: (t: ReturnType<typeof targetTable>) => ReturnType<typeof and>) {
  const t = targetTable(type);
  return db.select(targetColumns(type)).from(t).innerJoin(workspaces, eq(workspaces.id, t.workspace_id)).where(where(t));
}

export async function findTarget(db: Database, target: WarmingTarget): Promise<TargetRow | null> {
  const [row] = await selectTargets(db, target.type, (t) => and(eq(t.workspace_id, target.workspace_id), eq(t.id, target.id))).limit(1);
  return row ? { ...row, type: target.type } : null;
}

export async function loadTarget(db: Database, target: WarmingTarget): Promise<TargetRow> {
  const row = await findTarget(db, target);
  if (!row) throw notFound(targetLabel(target.type));
  return row;
}

export const refOf = (row: Pick<TargetRow, "workspace_id" | "type" | "id">): WarmingTarget => ({
  workspace_id: row.workspace_id,
  type: row.type,
  id: row.id,
});
