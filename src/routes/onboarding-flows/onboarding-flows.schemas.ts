import { z } from "@hono/zod-openapi";
import { AudienceFilterSchema } from "../../domain/audience/segments";
import { FLOW_SLUG_MESSAGE, FLOW_SLUG_PATTERN, FlowStepsSchema } from "../../domain/onboarding/flow-steps";
import type { FlowProgressStats, FlowView } from "../../domain/onboarding/flows";
import { WorkspaceParamsSchema } from "../workspaces/workspaces.schemas";

const fields = {
  name: z.string().trim().min(1).max(200).openapi({ example: "New User Welcome" }),
  slug: z
    .string()
    .regex(FLOW_SLUG_PATTERN, FLOW_SLUG_MESSAGE)
    .openapi({ description: "Unique in the workspace; rules start the flow by it (`trigger_onboarding`)", example: "new_user_welcome" }),
  description: z.string().max(2000).nullable(),
  steps: FlowStepsSchema.openapi({ description: "1 to 50 steps, run in order; a branch may jump forward" }),
  on_unsubscribe: z.enum(["stop", "continue"]).openapi({
    description: "When an email step cannot mail the user (unsubscribed, suppressed): end the flow (default) or go on",
  }),
  is_active: z.boolean().openapi({ description: "false: nobody new can enroll; users already in the flow go on" }),
};

export const CreateOnboardingFlowSchema = z
  .object({
    name: fields.name,
    slug: fields.slug,
    description: fields.description.optional(),
    steps: fields.steps,
    on_unsubscribe: fields.on_unsubscribe.optional(),
    is_active: fields.is_active.optional(),
  })
  .strict()
  .openapi("CreateOnboardingFlow");

export const UpdateOnboardingFlowSchema = z.object(fields).partial().strict().openapi("UpdateOnboardingFlow");

const BranchTargetSchema = z.union([z.enum(["next", "end"]), z.object({ step: z.string() })]);

const ResolvedStepSchema = z
  .discriminatedUnion("type", [
    z.object({
      id: z.string(),
      type: z.literal("email"),
      delay: z.number().int(),
      template_id: z.string(),
      campaign_id: z
        .string()
        .openapi({ description: "The triggered campaign the send is accounted under (the flow's own unless one was given)" }),
    }),
    z.object({ id: z.string(), type: z.literal("wait"), delay: z.number().int() }),
    z.object({
      id: z.string(),
      type: z.literal("milestone"),
      slug: z.string(),
      timeout: z.number().int().nullable(),
      on_timeout: z.enum(["continue", "stop"]),
    }),
    z.object({
      id: z.string(),
      type: z.literal("branch"),
      condition: AudienceFilterSchema,
      if_true: BranchTargetSchema,
      if_false: BranchTargetSchema,
    }),
  ])
  .openapi("OnboardingFlowStep", {
    description: "A step as the flow runs it: ids assigned, defaults filled, template and campaign resolved",
  });

export const OnboardingFlowSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    slug: z.string(),
    description: z.string().nullable(),
    version: z
      .number()
      .int()
      .openapi({ description: "The version users who enroll now run; each change of steps or on_unsubscribe adds one" }),
    on_unsubscribe: z.enum(["stop", "continue"]),
    is_active: z.boolean(),
    steps: z.array(ResolvedStepSchema),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("OnboardingFlow");

export const OnboardingFlowParamsSchema = WorkspaceParamsSchema.extend({
  flow_id: z.string().openapi({ param: { name: "flow_id", in: "path" } }),
});

const count = (description: string) => z.number().int().openapi({ description });

export const OnboardingFlowProgressSchema = z
  .object({
    flow_id: z.string(),
    version: z.number().int(),
    enrolled: count("Every run of the flow, in any version and state"),
    active: count("Runs going on now"),
    completed: count("Runs that reached the end"),
    stopped: count("Runs the flow ended early: a user who cannot be mailed (on_unsubscribe stop), a milestone timed out (on_timeout stop)"),
    cancelled: count("Runs cancelled through the API"),
    completion_rate: z
      .number()
      .nullable()
      .openapi({ description: "completed / enrolled as a fraction (0.25 = 25 %); null while nobody enrolled" }),
    steps: z.array(
      z.object({
        step_id: z.string(),
        type: z.string(),
        reached: count("Users who got to the step: recorded there with any outcome, or there now"),
        active: count("Users at the step now"),
        sent: z.number().int(),
        skipped: count("Email steps not sent because the user cannot be mailed (unsubscribed, suppressed)"),
        failed: z.number().int(),
        timed_out: z.number().int(),
      }),
    ),
    milestones: z.array(
      z.object({
        slug: z.string(),
        reached: z.number().int(),
        median_seconds_to_reach: z
          .number()
          .nullable()
          .openapi({ description: "Median seconds from the start of the run to reaching the milestone; null while nobody has" }),
      }),
    ),
  })
  .openapi("OnboardingFlowProgress", {
    description:
      "Over every version of the flow; steps and milestones of the current version first, in its order, then those only older versions had",
  });

export const toFlowResponse = (flow: FlowView): z.infer<typeof OnboardingFlowSchema> => ({
  id: flow.id,
  name: flow.name,
  slug: flow.slug,
  description: flow.description,
  version: flow.version,
  on_unsubscribe: flow.on_unsubscribe,
  is_active: flow.is_active,
  steps: flow.steps,
  created_at: flow.created_at,
  updated_at: flow.updated_at,
});

export const toProgressResponse = (stats: FlowProgressStats): z.infer<typeof OnboardingFlowProgressSchema> => stats;
