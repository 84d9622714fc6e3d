import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { createdAt, id, timestamp, updatedAt } from "./columns";
import { automationTriggers } from "./enums";
import { workspaceId } from "./workspaces";

export type AutomationAction =
  | { action: "send_campaign"; campaign_id: string }
  | { action: "trigger_onboarding"; flow_slug: string }
  | { action: "complete_onboarding_step"; step_id: string };

/** CRM-triggered automation: when `trigger` fires and `conditions` hold, run `actions`. */
export const automationRules = sqliteTable(
  "automation_rules",
  {
    id: id(),
    workspace_id: workspaceId(),
    name: text().notNull(),
    trigger: text({ enum: automationTriggers }).notNull(),
    conditions: text({ mode: "json" }).$type<Record<string, unknown>>(),
    actions: text({ mode: "json" }).$type<AutomationAction[]>().notNull(),
    is_active: integer({ mode: "boolean" }).notNull().default(true),
    trigger_count: integer().notNull().default(0),
    last_triggered_at: timestamp(),
    created_at: createdAt(),
    updated_at: updatedAt(),
  },
  (t) => [index("automation_rules_trigger_idx").on(t.workspace_id, t.trigger)],
);
