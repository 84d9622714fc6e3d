import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { createdAt, id, timestamp } from "./columns";
import { alertSeverities, jobRunStatuses, jobTriggers } from "./enums";
import { workspaces } from "./workspaces";

/** Alerts for a workspace's operators; platform-wide ones (a dead letter naming no workspace) have none. */
export const alerts = sqliteTable(
  "alerts",
  {
    id: id(),
    workspace_id: text().references(() => workspaces.id, { onDelete: "cascade" }),
    severity: text({ enum: alertSeverities }).notNull(),
    alert_type: text().notNull(),
    target_type: text(),
    target_id: text(),
    message: text().notNull(),
    details: text({ mode: "json" }).$type<Record<string, unknown>>(),
    acknowledged_at: timestamp(),
    created_at: createdAt(),
  },
  (t) => [index("alerts_workspace_idx").on(t.workspace_id, t.created_at)],
);

/**
 * Queue messages that could not be processed: exhausted retries (from a dead-letter queue) or bodies that
 * failed validation. Global: a message that cannot be parsed may not name its workspace.
 */
export const deadLetters = sqliteTable(
  "dead_letters",
  {
    id: id(),
    workspace_id: text(),
    queue: text().notNull(),
    message_id: text().notNull(),
    body: text({ mode: "json" }).$type<unknown>(),
    attempts: integer().notNull(),
    reason: text().notNull(),
    alerted_at: timestamp(),
    created_at: createdAt(),
  },
  (t) => [uniqueIndex("dead_letters_queue_message_idx").on(t.queue, t.message_id), index("dead_letters_unalerted_idx").on(t.alerted_at)],
);

/** Operator history of scheduled and on-demand job runs. Global. */
export const jobRuns = sqliteTable(
  "job_runs",
  {
    id: id(),
    job_name: text().notNull(),
    trigger: text({ enum: jobTriggers }).notNull(),
    cron: text(),
    status: text({ enum: jobRunStatuses }).notNull(),
    result: text({ mode: "json" }).$type<Record<string, unknown>>(),
    error: text(),
    started_at: text().notNull(),
    finished_at: timestamp(),
  },
  (t) => [index("job_runs_job_idx").on(t.job_name, t.started_at)],
);
