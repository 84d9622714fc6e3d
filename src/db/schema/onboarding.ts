import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { createdAt, id, timestamp, updatedAt } from "./columns";
import { onboardingProgressStatuses } from "./enums";
import { workspaceId } from "./workspaces";

export type OnboardingStep =
  | { type: "email"; delay: number; template: string }
  | { type: "wait"; delay: number }
  | { type: "milestone"; slug: string };

export const onboardingFlows = sqliteTable(
  "onboarding_flows",
  {
    id: id(),
    workspace_id: workspaceId(),
    name: text().notNull(),
    slug: text().notNull(),
    description: text(),
    steps: text({ mode: "json" }).$type<OnboardingStep[]>().notNull(),
    is_active: integer({ mode: "boolean" }).notNull().default(true),
    created_at: createdAt(),
    updated_at: updatedAt(),
  },
  (t) => [uniqueIndex("onboarding_flows_workspace_slug_idx").on(t.workspace_id, t.slug)],
);

export const userOnboardingProgress = sqliteTable(
  "user_onboarding_progress",
  {
    id: id(),
    workspace_id: workspaceId(),
    flow_id: text()
      .notNull()
      .references(() => onboardingFlows.id, { onDelete: "cascade" }),
    subscriber_id: text(),
    record_id: text(),
    status: text({ enum: onboardingProgressStatuses }).notNull().default("active"),
    current_step: integer().notNull().default(0),
    next_step_at: timestamp(),
    decisions: text({ mode: "json" }).$type<Record<string, unknown>>().notNull().default({}),
    completed_steps: text({ mode: "json" }).$type<number[]>().notNull().default([]),
    started_at: createdAt(),
    completed_at: timestamp(),
    updated_at: updatedAt(),
  },
  (t) => [
    index("user_onboarding_progress_due_idx").on(t.status, t.next_step_at),
    uniqueIndex("user_onboarding_progress_flow_subscriber_idx").on(t.flow_id, t.subscriber_id),
  ],
);
