import { z } from "@hono/zod-openapi";
import { and, eq } from "drizzle-orm";
import type { Database } from "../../db/client";
import { type AutomationAction, automationRuleRuns, automationRules, emailCampaigns, onboardingFlows } from "../../db/schema";
import { newId } from "../../lib/ids";
import { findInWorkspace } from "../../lib/lookups";
import { keysetPage, type Page } from "../../lib/pagination";
import { inJsonList } from "../../lib/sql-lists";
import { assertListReferences } from "../audience/segments";
import { type FieldProblem, InvalidFieldsError, invalidFields } from "../errors";
import { conditionListReferences, type RuleConditions } from "./rule-conditions";

export type AutomationRule = typeof automationRules.$inferSelect;
export type AutomationRuleRun = typeof automationRuleRuns.$inferSelect;

export const MAX_ACTIONS_PER_RULE = 10;
/** The trigger whose rules may send a one-time campaign to its whole audience. */
export const RELEASE_TRIGGER = "release.published";

const SLUG = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const slug = (what: string) => z.string().regex(SLUG, `a ${what} is lowercase letters, digits, '_' or '-', at most 64`);

export const AutomationActionSchema = z
  .discriminatedUnion("action", [
    z
      .object({
        action: z.literal("send_campaign"),
        campaign_id: z.string().min(1).max(64),
      })
      .strict()
      .openapi({
        description:
          "A triggered campaign: one message to the event's user (idempotency key `rule:<rule id>:<event id>`). A one-time campaign, on `release.published` only: its full send.",
      }),
    z
      .object({ action: z.literal("trigger_onboarding"), flow_slug: slug("flow slug") })
      .strict()
      .openapi({ description: "Enrolls the user in the onboarding flow with this slug; already in it: skipped" }),
    z
      .object({ action: z.literal("complete_onboarding_step"), step_id: slug("step id") })
      .strict()
      .openapi({ description: "Marks the milestone (slug or milestone step id) reached for the user, waking flows waiting on it" }),
  ])
  .openapi("AutomationAction");

export interface RuleInput {
  name: string;
  trigger: string;
  conditions?: RuleConditions | null;
  actions: AutomationAction[];
  enabled?: boolean;
}

export type RuleChanges = Partial<RuleInput>;

/**
 * Every reference of the actions and conditions checked against the workspace, all problems in one 422: campaigns
 * exist and are triggered (or one-time on a release rule), flows exist, lists in the conditions exist.
 */
async function assertReferences(db: Database, workspaceId: string, rule: Pick<RuleInput, "trigger" | "actions" | "conditions">) {
  const campaignIds = rule.actions.flatMap((a) => (a.action === "send_campaign" ? [a.campaign_id] : []));
  const flowSlugs = rule.actions.flatMap((a) => (a.action === "trigger_onboarding" ? [a.flow_slug] : []));
  const [campaigns, flows] = await Promise.all([
    campaignIds.length === 0
      ? []
      : db
          .select({ id: emailCampaigns.id, campaign_type: emailCampaigns.campaign_type })
          .from(emailCampaigns)
          .where(and(eq(emailCampaigns.workspace_id, workspaceId), inJsonList(emailCampaigns.id, campaignIds))),
    flowSlugs.length === 0
      ? []
      : db
          .select({ slug: onboardingFlows.slug })
          .from(onboardingFlows)
          .where(and(eq(onboardingFlows.workspace_id, workspaceId), inJsonList(onboardingFlows.slug, flowSlugs))),
  ]);
  const campaignTypes = new Map(campaigns.map((c) => [c.id, c.campaign_type]));
  const knownFlows = new Set(flows.map((f) => f.slug));
  const problems: FieldProblem[] = [];
  const problem = (path: string, message: string) => problems.push({ location: "body", path, message });
  rule.actions.forEach((action, i) => {
    if (action.action === "send_campaign") {
      const type = campaignTypes.get(action.campaign_id);
      if (type === undefined) problem(`actions.${i}.campaign_id`, `no campaign ${action.campaign_id} in this workspace`);
      else if (type === "one_time" && rule.trigger !== RELEASE_TRIGGER)
        problem(`actions.${i}.campaign_id`, `a one-time campaign is sent only by a ${RELEASE_TRIGGER} rule; use a triggered campaign`);
      else if (type !== "triggered" && type !== "one_time")
        problem(
          `actions.${i}.campaign_id`,
          `a rule sends a triggered campaign (or a one-time one on ${RELEASE_TRIGGER}), not a ${type} one`,
        );
    } else if (action.action === "trigger_onboarding" && !knownFlows.has(action.flow_slug)) {
      problem(`actions.${i}.flow_slug`, `no onboarding flow with slug ${action.flow_slug} in this workspace`);
    }
  });
  if (rule.conditions) {
    try {
      await assertListReferences(db, workspaceId, conditionListReferences(rule.conditions, "conditions"));
    } catch (error) {
      if (!(error instanceof InvalidFieldsError)) throw error;
      problems.push(...error.fields);
    }
  }
  if (problems.length > 0) throw invalidFields(problems.map((p) => `${p.path}: ${p.message}`).join("; "), problems);
}

export async function createRule(db: Database, workspaceId: string, input: RuleInput, now = new Date()): Promise<AutomationRule> {
  await assertReferences(db, workspaceId, input);
  const at = now.toISOString();
  const [created] = await db
    .insert(automationRules)
    .values({
      id: newId("rule", now.getTime()),
      workspace_id: workspaceId,
      name: input.name,
      trigger: input.trigger,
      conditions: input.conditions ?? null,
      actions: input.actions,
      is_active: input.enabled ?? true,
      created_at: at,
      updated_at: at,
    })
    .returning();
  return created;
}

export const getRule = (db: Database, workspaceId: string, id: string) =>
  findInWorkspace(db, automationRules, workspaceId, id, "Automation rule");

export async function listRules(db: Database, workspaceId: string, limit: number, cursor?: string): Promise<Page<AutomationRule>> {
  return keysetPage(
    (after) =>
      db
        .select()
        .from(automationRules)
        .where(and(eq(automationRules.workspace_id, workspaceId), after)),
    {
      key: automationRules.id,
      limit,
      cursor,
    },
  );
}

/** Every save re-checks the actions against the rule as it will be: a new trigger can make a one-time campaign invalid. */
export async function updateRule(
  db: Database,
  workspaceId: string,
  id: string,
  changes: RuleChanges,
  now = new Date(),
): Promise<AutomationRule> {
  const current = await getRule(db, workspaceId, id);
  const next = {
    trigger: changes.trigger ?? current.trigger,
    actions: changes.actions ?? current.actions,
    conditions: changes.conditions === undefined ? current.conditions : changes.conditions,
  };
  await assertReferences(db, workspaceId, next);
  const set: Partial<typeof automationRules.$inferInsert> = { updated_at: now.toISOString() };
  if (changes.name !== undefined) set.name = changes.name;
  if (changes.trigger !== undefined) set.trigger = changes.trigger;
  if (changes.conditions !== undefined) set.conditions = changes.conditions;
  if (changes.actions !== undefined) set.actions = changes.actions;
  if (changes.enabled !== undefined) set.is_active = changes.enabled;
  const [updated] = await db
    .update(automationRules)
    .set(set)
    .where(and(eq(automationRules.workspace_id, workspaceId), eq(automationRules.id, id)))
    .returning();
  return updated;
}

export async function deleteRule(db: Database, workspaceId: string, id: string): Promise<void> {
  await getRule(db, workspaceId, id);
  await db.batch([
    db.delete(automationRuleRuns).where(eq(automationRuleRuns.rule_id, id)),
    db.delete(automationRules).where(and(eq(automationRules.workspace_id, workspaceId), eq(automationRules.id, id))),
  ]);
}

/** A rule's runs, newest first. */
export async function listRuleRuns(
  db: Database,
  workspaceId: string,
  ruleId: string,
  limit: number,
  cursor?: string,
): Promise<Page<AutomationRuleRun>> {
  await getRule(db, workspaceId, ruleId);
  return keysetPage(
    (after) =>
      db
        .select()
        .from(automationRuleRuns)
        .where(and(eq(automationRuleRuns.workspace_id, workspaceId), eq(automationRuleRuns.rule_id, ruleId), after)),
    { key: automationRuleRuns.id, order: "desc", limit, cursor },
  );
}
