import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import type { AudienceFilter } from "../../domain/audience/segments";
import { createdAt, id, timestamp, updatedAt } from "./columns";
import { onboardingProgressStatuses, onboardingStepOutcomes } from "./enums";
import { workspaceId } from "./workspaces";

/** Where a branch goes: the next step, the end of the flow, or a later step by its id. */
export type BranchTarget = "next" | "end" | { step: string };

/**
 * A flow step as stored in a version: every reference resolved, so a running flow never looks a name up again.
 * `id` is unique in the flow (given, or assigned `<type>_<n>`; a milestone's defaults to its slug).
 */
export type OnboardingStep =
  | { id: string; type: "email"; delay: number; template_id: string; campaign_id: string }
  | { id: string; type: "wait"; delay: number }
  | { id: string; type: "milestone"; slug: string; timeout: number | null; on_timeout: "continue" | "stop" }
  | { id: string; type: "branch"; condition: AudienceFilter; if_true: BranchTarget; if_false: BranchTarget };

/** An onboarding flow: its current definition. Each save makes a version; users stay on the one they started. */
export const onboardingFlows = sqliteTable(
  "onboarding_flows",
  {
    id: id(),
    workspace_id: workspaceId(),
    name: text().notNull(),
    slug: text().notNull(),
    description: text(),
    /** The steps as the client sent them (template slugs, optional campaign ids), echoed back on read. */
    steps: text({ mode: "json" }).$type<unknown[]>().notNull(),
    /** The latest version: users who enroll now run it. */
    version: integer().notNull().default(1),
    /** What an email step does when the user cannot be mailed (unsubscribed, suppressed): end the flow or go on. */
    on_unsubscribe: text({ enum: ["stop", "continue"] })
      .notNull()
      .default("stop"),
    is_active: integer({ mode: "boolean" }).notNull().default(true),
    created_at: createdAt(),
    updated_at: updatedAt(),
  },
  (t) => [uniqueIndex("onboarding_flows_workspace_slug_idx").on(t.workspace_id, t.slug)],
);

/** The resolved steps of each saved version of a flow; a running flow reads only the version it started on. */
export const onboardingFlowVersions = sqliteTable(
  "onboarding_flow_versions",
  {
    workspace_id: workspaceId(),
    flow_id: text()
      .notNull()
      .references(() => onboardingFlows.id, { onDelete: "cascade" }),
    version: integer().notNull(),
    steps: text({ mode: "json" }).$type<OnboardingStep[]>().notNull(),
    on_unsubscribe: text({ enum: ["stop", "continue"] }).notNull(),
    created_at: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.flow_id, t.version] })],
);

/** One user's run through one version of a flow; its id is also the Workflow instance id. */
export const userOnboardingProgress = sqliteTable(
  "user_onboarding_progress",
  {
    id: id(),
    workspace_id: workspaceId(),
    flow_id: text()
      .notNull()
      .references(() => onboardingFlows.id, { onDelete: "cascade" }),
    flow_version: integer().notNull().default(1),
    subscriber_id: text(),
    record_id: text(),
    status: text({ enum: onboardingProgressStatuses }).notNull().default("active"),
    /** Index into the version's steps of the step running or waiting now. */
    current_step: integer().notNull().default(0),
    /** When the current wait, delay or milestone timeout ends, if it does. */
    next_step_at: timestamp(),
    /** Branch decisions by step id: `{ "<step id>": { result, target, at } }`. */
    decisions: text({ mode: "json" }).$type<Record<string, unknown>>().notNull().default({}),
    completed_steps: text({ mode: "json" }).$type<number[]>().notNull().default([]),
    /** Why the flow ended early (`unsubscribed`, `milestone_timeout`, `cancelled_by_api`, `flow_deleted`, …). */
    stop_reason: text(),
    /** What enrolled the user: `api`, or `rule:<rule id>`. */
    enrolled_by: text().notNull().default("api"),
    started_at: createdAt(),
    completed_at: timestamp(),
    updated_at: updatedAt(),
  },
  (t) => [
    index("user_onboarding_progress_due_idx").on(t.status, t.next_step_at),
    // A user is in a flow at most once at a time; after it ends they may enroll again.
    uniqueIndex("user_onboarding_progress_active_idx").on(t.flow_id, t.subscriber_id).where(sql`status = 'active'`),
    index("user_onboarding_progress_subscriber_idx").on(t.workspace_id, t.subscriber_id),
  ],
);

/** The step history of one progress: each step a user passed through, once, with what happened there. */
export const onboardingProgressSteps = sqliteTable(
  "onboarding_progress_steps",
  {
    workspace_id: workspaceId(),
    progress_id: text()
      .notNull()
      .references(() => userOnboardingProgress.id, { onDelete: "cascade" }),
    step_index: integer().notNull(),
    step_id: text().notNull(),
    step_type: text().notNull(),
    outcome: text({ enum: onboardingStepOutcomes }).notNull(),
    /** Why, for `skipped`, `failed`, `timed_out` and `branched` (the decision). */
    reason: text(),
    /** The campaign recipient of an email step, sent or skipped. */
    recipient_id: text(),
    started_at: text().notNull(),
    finished_at: text().notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.progress_id, t.step_index] }),
    index("onboarding_progress_steps_flow_idx").on(t.workspace_id, t.step_id),
  ],
);

/** Milestones a subscriber has reached, so a flow that arrives at a milestone later sees it was already reached. */
export const subscriberMilestones = sqliteTable(
  "subscriber_milestones",
  {
    workspace_id: workspaceId(),
    subscriber_id: text().notNull(),
    slug: text().notNull(),
    reached_at: text().notNull(),
  },
  (t) => [primaryKey({ columns: [t.subscriber_id, t.slug] })],
);
