import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import type { AudienceFilter } from "../../domain/audience/segments";
import { createdAt, id, timestamp, updatedAt } from "./columns";
import { automationEventStatuses, automationRuleRunOutcomes } from "./enums";
import { workspaceId } from "./workspaces";

export type AutomationAction =
  | { action: "send_campaign"; campaign_id: string }
  | { action: "trigger_onboarding"; flow_slug: string }
  | { action: "complete_onboarding_step"; step_id: string };

/** What one action of a rule run did. */
export interface AutomationActionResult {
  action: AutomationAction["action"];
  outcome: "done" | "skipped" | "failed";
  /** Why it was skipped or failed, in words. */
  reason?: string;
  /** What it made or touched: a campaign recipient, a progress, a run. */
  ref?: string;
}

/**
 * CRM-triggered automation: when an event of type `trigger` arrives and `conditions` hold over the user and the
 * event, run `actions`. `trigger` is one of the spec's CRM triggers or a custom event type.
 */
export const automationRules = sqliteTable(
  "automation_rules",
  {
    id: id(),
    workspace_id: workspaceId(),
    name: text().notNull(),
    trigger: text().notNull(),
    conditions: text({ mode: "json" }).$type<AudienceFilter | null>(),
    actions: text({ mode: "json" }).$type<AutomationAction[]>().notNull(),
    is_active: integer({ mode: "boolean" }).notNull().default(true),
    trigger_count: integer().notNull().default(0),
    last_triggered_at: timestamp(),
    created_at: createdAt(),
    updated_at: updatedAt(),
  },
  (t) => [index("automation_rules_trigger_idx").on(t.workspace_id, t.trigger)],
);

/** An event from the product that uses Flarecast, kept for idempotency (its id) and for the rule runs it caused. */
export const automationEvents = sqliteTable(
  "automation_events",
  {
    workspace_id: workspaceId(),
    /** The client's id, or one we assigned; a second event with the same id in the workspace is a duplicate. */
    id: text().notNull(),
    type: text().notNull(),
    occurred_at: text().notNull(),
    /** The `user` object as sent: `{id, email, name?, attributes?}`. */
    user: text({ mode: "json" }).$type<Record<string, unknown>>().notNull(),
    properties: text({ mode: "json" }).$type<Record<string, unknown>>().notNull().default({}),
    subscriber_id: text(),
    status: text({ enum: automationEventStatuses }).notNull().default("received"),
    error: text(),
    received_at: text().notNull(),
    processed_at: timestamp(),
  },
  (t) => [primaryKey({ columns: [t.workspace_id, t.id] }), index("automation_events_received_idx").on(t.received_at)],
);

/** Each time an event met a rule: whether it fired, and what each action did or why it was skipped. */
export const automationRuleRuns = sqliteTable(
  "automation_rule_runs",
  {
    id: id(),
    workspace_id: workspaceId(),
    rule_id: text()
      .notNull()
      .references(() => automationRules.id, { onDelete: "cascade" }),
    event_id: text().notNull(),
    event_type: text().notNull(),
    subscriber_id: text(),
    outcome: text({ enum: automationRuleRunOutcomes }).notNull(),
    reason: text(),
    actions: text({ mode: "json" }).$type<AutomationActionResult[]>().notNull().default([]),
    created_at: createdAt(),
  },
  (t) => [
    uniqueIndex("automation_rule_runs_rule_event_idx").on(t.rule_id, t.event_id),
    index("automation_rule_runs_rule_time_idx").on(t.rule_id, t.created_at),
  ],
);
