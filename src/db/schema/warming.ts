import { integer, real, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { createdAt, id, updatedAt } from "./columns";
import { warmingTargetTypes } from "./enums";
import { workspaces } from "./workspaces";

export interface WarmingStep {
  day: number;
  volume: number;
}

/** Built-in schedules (conservative, moderate, aggressive) are global rows with no workspace. */
export const warmingSchedules = sqliteTable(
  "warming_schedules",
  {
    id: id(),
    workspace_id: text().references(() => workspaces.id, { onDelete: "cascade" }),
    slug: text().notNull(),
    name: text().notNull(),
    description: text(),
    steps: text({ mode: "json" }).$type<WarmingStep[]>().notNull(),
    is_builtin: integer({ mode: "boolean" }).notNull().default(false),
    created_at: createdAt(),
    updated_at: updatedAt(),
  },
  (t) => [uniqueIndex("warming_schedules_workspace_slug_idx").on(t.workspace_id, t.slug)],
);

/** One row per warming target per workspace-local day: the cap that applied and what happened under it. */
export const warmingProgress = sqliteTable(
  "warming_progress",
  {
    id: id(),
    workspace_id: text()
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    target_type: text({ enum: warmingTargetTypes }).notNull(),
    target_id: text().notNull(),
    date: text().notNull(),
    warming_day: integer().notNull(),
    daily_limit: integer().notNull(),
    sent_count: integer().notNull().default(0),
    delivered_count: integer().notNull().default(0),
    bounce_count: integer().notNull().default(0),
    complaint_count: integer().notNull().default(0),
    open_count: integer().notNull().default(0),
    bounce_rate: real(),
    complaint_rate: real(),
    delivery_rate: real(),
    created_at: createdAt(),
    updated_at: updatedAt(),
  },
  (t) => [uniqueIndex("warming_progress_target_date_idx").on(t.target_type, t.target_id, t.date)],
);
