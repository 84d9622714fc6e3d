import { integer, real, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { createdAt, id, updatedAt } from "./columns";
import { warmingTargetTypes } from "./enums";
import { workspaceId } from "./workspaces";

/** Daily per-ISP outcomes for a domain or IP; feeds health scoring and ISP-affinity routing. */
export const ispMetrics = sqliteTable(
  "isp_metrics",
  {
    id: id(),
    workspace_id: workspaceId(),
    target_type: text({ enum: warmingTargetTypes }).notNull(),
    target_id: text().notNull(),
    isp: text().notNull(),
    date: text().notNull(),
    sent_count: integer().notNull().default(0),
    delivered_count: integer().notNull().default(0),
    bounce_count: integer().notNull().default(0),
    complaint_count: integer().notNull().default(0),
    open_count: integer().notNull().default(0),
    click_count: integer().notNull().default(0),
    inbox_placement_rate: real(),
    created_at: createdAt(),
    updated_at: updatedAt(),
  },
  (t) => [uniqueIndex("isp_metrics_target_isp_date_idx").on(t.target_type, t.target_id, t.isp, t.date)],
);
