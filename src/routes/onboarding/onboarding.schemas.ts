import { z } from "@hono/zod-openapi";
import { onboardingProgressStatuses, onboardingStepOutcomes } from "../../db/schema/enums";
import type { ProgressWithHistory } from "../../domain/onboarding/progress";
import { WorkspaceParamsSchema } from "../workspaces/workspaces.schemas";

export const FlowParamsSchema = WorkspaceParamsSchema.extend({
  flow_id: z.string().openapi({ param: { name: "flow_id", in: "path" } }),
});

export const ProgressParamsSchema = WorkspaceParamsSchema.extend({
  progress_id: z.string().openapi({ param: { name: "progress_id", in: "path" } }),
});

export const EnrollSchema = z
  .object({
    subscriber_id: z.string().min(1).max(100).optional(),
    email: z.email().max(320).optional().openapi({ description: "An address with no subscriber yet becomes one (in no list)" }),
  })
  .strict()
  .superRefine((value, ctx) => {
    if ((value.subscriber_id === undefined) === (value.email === undefined)) {
      ctx.addIssue({ code: "custom", path: ["subscriber_id"], message: "give exactly one of subscriber_id and email" });
    }
  })
  .openapi("OnboardingEnroll");

export const ProgressStepSchema = z
  .object({
    step_index: z.number().int(),
    step_id: z.string(),
    type: z.string(),
    outcome: z.enum(onboardingStepOutcomes),
    reason: z.string().nullable().openapi({ description: "Why, for skipped, failed, timed_out; the decision for branched" }),
    recipient_id: z.string().nullable().openapi({ description: "The campaign recipient of an email step, sent or skipped" }),
    started_at: z.string(),
    finished_at: z.string(),
  })
  .openapi("OnboardingProgressStep");

export const ProgressSchema = z
  .object({
    id: z.string().openapi({ description: "Also the id of the flow's Workflow instance for this user" }),
    flow_id: z.string(),
    flow_slug: z.string(),
    flow_version: z
      .number()
      .int()
      .openapi({ description: "The version of the flow's steps this user runs, the one current when they enrolled" }),
    subscriber_id: z.string().nullable(),
    status: z.enum(onboardingProgressStatuses),
    current_step: z.number().int().openapi({ description: "Index into the version's steps of the step running or waiting now" }),
    next_step_at: z.string().nullable().openapi({ description: "When the current wait, delay or milestone timeout ends" }),
    decisions: z.record(z.string(), z.unknown()).openapi({ description: "Branch decisions by step id: {result, target, at}" }),
    completed_steps: z.array(z.number().int()),
    stop_reason: z.string().nullable().openapi({
      description:
        "Why the run ended early: unsubscribed (or another skip reason), milestone_timeout, cancelled_by_api, flow_deleted, step_failed",
    }),
    enrolled_by: z.string().openapi({ description: "`api`, or `rule:<rule id>`" }),
    started_at: z.string(),
    completed_at: z.string().nullable(),
    updated_at: z.string(),
    steps: z.array(ProgressStepSchema).openapi({ description: "The step history: each step passed so far, once" }),
  })
  .openapi("OnboardingProgress");

export const ProgressListSchema = z.object({ data: z.array(ProgressSchema) }).openapi("OnboardingProgressList");

export const toProgressResponse = (p: ProgressWithHistory) => ({
  id: p.id,
  flow_id: p.flow_id,
  flow_slug: p.flow_slug,
  flow_version: p.flow_version,
  subscriber_id: p.subscriber_id,
  status: p.status,
  current_step: p.current_step,
  next_step_at: p.next_step_at,
  decisions: p.decisions,
  completed_steps: p.completed_steps,
  stop_reason: p.stop_reason,
  enrolled_by: p.enrolled_by,
  started_at: p.started_at,
  completed_at: p.completed_at,
  updated_at: p.updated_at,
  steps: p.history.map((s) => ({
    step_index: s.step_index,
    step_id: s.step_id,
    type: s.step_type,
    outcome: s.outcome,
    reason: s.reason,
    recipient_id: s.recipient_id,
    started_at: s.started_at,
    finished_at: s.finished_at,
  })),
});
