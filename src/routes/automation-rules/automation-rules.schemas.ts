import { z } from "@hono/zod-openapi";
import { automationRuleRunOutcomes } from "../../db/schema/enums";
import { EventTypeSchema } from "../../domain/automation/events";
import { RuleConditionsSchema } from "../../domain/automation/rule-conditions";
import { AutomationActionSchema, type AutomationRule, type AutomationRuleRun, MAX_ACTIONS_PER_RULE } from "../../domain/automation/rules";
import { WorkspaceParamsSchema } from "../workspaces/workspaces.schemas";

const fields = {
  name: z.string().trim().min(1).max(200),
  trigger: EventTypeSchema.openapi({ example: "release.published" }),
  conditions: RuleConditionsSchema.optional(),
  actions: z.array(AutomationActionSchema).min(1).max(MAX_ACTIONS_PER_RULE),
  enabled: z.boolean().optional(),
};

export const CreateRuleSchema = z.object(fields).strict().openapi("CreateAutomationRule");

export const UpdateRuleSchema = z
  .object({ ...fields, name: fields.name.optional(), trigger: fields.trigger.optional(), actions: fields.actions.optional() })
  .strict()
  .openapi("UpdateAutomationRule");

export const RuleSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    trigger: z.string(),
    conditions: z.unknown().nullable().openapi({ description: "As saved; null: always" }),
    actions: z.array(AutomationActionSchema),
    enabled: z.boolean(),
    trigger_count: z.number().int().openapi({ description: "Runs that fired (or failed): the conditions held" }),
    last_triggered_at: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("AutomationRule");

export const RuleRunSchema = z
  .object({
    id: z.string(),
    rule_id: z.string(),
    event_id: z.string(),
    event_type: z.string(),
    subscriber_id: z.string().nullable(),
    outcome: z.enum(automationRuleRunOutcomes).openapi({
      description: "fired: an action was done; skipped: the conditions did not hold or every action was skipped; failed: an action failed",
    }),
    reason: z.string().nullable(),
    actions: z.array(
      z.object({
        action: z.string(),
        outcome: z.enum(["done", "skipped", "failed"]),
        reason: z.string().optional(),
        ref: z
          .string()
          .optional()
          .openapi({ description: "What it made or touched: a campaign recipient, a campaign run, an onboarding progress" }),
      }),
    ),
    created_at: z.string(),
  })
  .openapi("AutomationRuleRun");

export const RuleParamsSchema = WorkspaceParamsSchema.extend({
  rule_id: z.string().openapi({ param: { name: "rule_id", in: "path" } }),
});

export const toRuleResponse = (r: AutomationRule): z.infer<typeof RuleSchema> => ({
  id: r.id,
  name: r.name,
  trigger: r.trigger,
  conditions: r.conditions,
  actions: r.actions,
  enabled: r.is_active,
  trigger_count: r.trigger_count,
  last_triggered_at: r.last_triggered_at,
  created_at: r.created_at,
  updated_at: r.updated_at,
});

export const toRuleRunResponse = (r: AutomationRuleRun): z.infer<typeof RuleRunSchema> => ({
  id: r.id,
  rule_id: r.rule_id,
  event_id: r.event_id,
  event_type: r.event_type,
  subscriber_id: r.subscriber_id,
  outcome: r.outcome,
  reason: r.reason,
  actions: r.actions,
  created_at: r.created_at,
});
