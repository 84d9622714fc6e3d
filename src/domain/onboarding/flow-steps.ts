import { z } from "@hono/zod-openapi";
import { and, eq, or, sql } from "drizzle-orm";
import type { Database } from "../../db/client";
import { emailCampaigns, emailTemplates } from "../../db/schema";
import type { OnboardingStep } from "../../db/schema/onboarding";
import { AudienceFilterSchema, assertListReferences, type ListReference, listReferences } from "../audience/segments";
import { type FieldProblem, InvalidFieldsError } from "../errors";

/**
 * The steps of an onboarding flow as a client writes them, how they are checked against each other, and how their
 * references (templates, campaigns, lists) are resolved against the workspace into the `OnboardingStep`s a version
 * stores.
 */

export const MAX_FLOW_STEPS = 50;
/** Delays and milestone timeouts: at most a year. */
export const MAX_STEP_SECONDS = 365 * 24 * 60 * 60;

/** The steps are stored in one D1 row per version (a row holds at most 2 MB) and read at every step a user takes. */
export const MAX_STEPS_JSON_LENGTH = 262_144;

export const FLOW_SLUG_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;
export const FLOW_SLUG_MESSAGE = "must be 1-64 lowercase letters, digits, _ or -, starting with a letter or digit";

const slug = (description: string, example: string) =>
  z.string().regex(FLOW_SLUG_PATTERN, FLOW_SLUG_MESSAGE).openapi({ description, example });

const stepId = slug(
  "Unique in the flow; when omitted a milestone's is its slug, any other step's `<type>_<n>` (n: 1-based position)",
  "welcome",
);

const seconds = (description: string) =>
  z
    .number()
    .int("must be a whole number of seconds")
    .min(0, "must be 0 or more seconds")
    .max(MAX_STEP_SECONDS, `must be at most ${MAX_STEP_SECONDS} seconds (365 days)`)
    .openapi({ description, example: 86_400 });

/** Not a named component: each side has its own default, which a shared component would carry only one of. */
const branchTarget = (fallback: "next" | "end") =>
  z
    .union([z.enum(["next", "end"]), z.object({ step: slug("A later step's id", "project_tips") }).strict()])
    .default(fallback)
    .openapi({
      description: `\`"next"\`, \`"end"\`, or \`{step: "<id>"}\` of a later step (a branch never jumps back); default \`"${fallback}"\``,
    });

const EmailStepSchema = z
  .object({
    id: stepId.optional(),
    type: z.literal("email"),
    template: z.string().min(1).max(200).optional().openapi({
      description: "Template id or slug of the workspace; with `campaign_id`, it must be that campaign's template",
      example: "welcome",
    }),
    campaign_id: z.string().min(1).max(64).optional().openapi({
      description:
        "A triggered campaign of the workspace, with a template, to send and account the step under; without it the flow makes a campaign of its own for the step",
    }),
    delay: seconds("Seconds to wait before sending (default 0)").default(0),
  })
  .strict()
  .openapi("OnboardingEmailStepInput");

const WaitStepSchema = z
  .object({ id: stepId.optional(), type: z.literal("wait"), delay: seconds("Seconds to wait") })
  .strict()
  .openapi("OnboardingWaitStepInput");

const MilestoneStepSchema = z
  .object({
    id: stepId.optional(),
    type: z.literal("milestone"),
    slug: slug("What the product reports when the user gets there (`user.milestone_reached`); unique in the flow", "first_project"),
    timeout: seconds("Seconds to wait for the milestone at most; null or absent: no timeout")
      .min(1, "must be at least 1 second (or null for none)")
      .nullable()
      .default(null),
    on_timeout: z
      .enum(["continue", "stop"])
      .default("stop")
      .openapi({ description: "After a timeout: go on with the next step, or end the flow" }),
  })
  .strict()
  .openapi("OnboardingMilestoneStepInput");

const BranchStepSchema = z
  .object({
    id: stepId.optional(),
    type: z.literal("branch"),
    condition: AudienceFilterSchema,
    if_true: branchTarget("next"),
    if_false: branchTarget("end"),
  })
  .strict()
  .openapi("OnboardingBranchStepInput");

export const FlowStepSchema = z
  .discriminatedUnion("type", [WaitStepSchema, EmailStepSchema, MilestoneStepSchema, BranchStepSchema])
  .openapi("OnboardingFlowStepInput");

export const FlowStepsSchema = z
  .array(FlowStepSchema)
  .min(1, "a flow needs at least one step")
  .max(MAX_FLOW_STEPS, `a flow holds at most ${MAX_FLOW_STEPS} steps`)
  .refine((steps) => JSON.stringify(steps).length <= MAX_STEPS_JSON_LENGTH, "the steps may hold at most 256 KB of JSON");

export type FlowStepInput = z.infer<typeof FlowStepSchema>;

const problem = (path: string, message: string): FieldProblem => ({ location: "body", path, message });

/** Each step's id: the one given, else the milestone's slug, else `<type>_<position>`. */
export const stepIdsOf = (steps: FlowStepInput[]): string[] =>
  steps.map((step, i) => step.id ?? (step.type === "milestone" ? step.slug : `${step.type}_${i + 1}`));

/**
 * The rules between steps: ids and milestone slugs unique, and branches jumping only forward to a step that exists,
 * so a flow always ends.
 */
export function stepStructureProblems(steps: FlowStepInput[], path: string): FieldProblem[] {
  const ids = stepIdsOf(steps);
  const problems: FieldProblem[] = [];
  const firstIndexOfId = new Map<string, number>();
  const firstIndexOfSlug = new Map<string, number>();
  steps.forEach((step, i) => {
    if (step.type === "milestone") {
      const sameSlug = firstIndexOfSlug.get(step.slug);
      if (sameSlug === undefined) firstIndexOfSlug.set(step.slug, i);
      else problems.push(problem(`${path}.${i}.slug`, `step ${sameSlug + 1} already waits for the milestone "${step.slug}"`));
    }
    const seen = firstIndexOfId.get(ids[i]);
    if (seen === undefined) firstIndexOfId.set(ids[i], i);
    // A milestone's id defaults to its slug: a repeated slug is reported once, as the slug it is.
    else if (!(step.type === "milestone" && step.id === undefined && firstIndexOfSlug.get(step.slug) !== i)) {
      problems.push(problem(`${path}.${i}.id`, `step ${i + 1} has the id "${ids[i]}" of step ${seen + 1}; ids are unique in a flow`));
    }
  });
  steps.forEach((step, i) => {
    if (step.type !== "branch") return;
    for (const side of ["if_true", "if_false"] as const) {
      const target = step[side];
      if (typeof target === "string") continue;
      const index = firstIndexOfId.get(target.step);
      if (index === undefined) problems.push(problem(`${path}.${i}.${side}.step`, `no step with the id "${target.step}" in this flow`));
      else if (index <= i) problems.push(problem(`${path}.${i}.${side}.step`, "a branch may only jump forward, to a later step"));
    }
  });
  return problems;
}

/** A resolved step, except that an email step without a campaign of its own still needs its managed campaign. */
export type StepDraft =
  | Exclude<OnboardingStep, { type: "email" }>
  | { id: string; type: "email"; delay: number; template_id: string; campaign_id: string | null };

/**
 * Resolves every reference of the steps against the workspace (one query for templates, one for campaigns, one for
 * lists), adding a problem per unknown or unfit reference. Another workspace's objects are unknown here.
 */
export async function resolveSteps(
  db: Database,
  workspaceId: string,
  steps: FlowStepInput[],
  path: string,
  problems: FieldProblem[],
): Promise<StepDraft[]> {
  const ids = stepIdsOf(steps);
  const templateRefs = [...new Set(steps.flatMap((s) => (s.type === "email" && s.template !== undefined ? [s.template] : [])))];
  const campaignRefs = [...new Set(steps.flatMap((s) => (s.type === "email" && s.campaign_id !== undefined ? [s.campaign_id] : [])))];
  const inList = (values: string[]) => sql`(SELECT value FROM json_each(${JSON.stringify(values)}))`;
  const [templates, campaigns] = await Promise.all([
    templateRefs.length === 0
      ? []
      : db
          .select({ id: emailTemplates.id, slug: emailTemplates.slug })
          .from(emailTemplates)
          .where(
            and(
              eq(emailTemplates.workspace_id, workspaceId),
              or(sql`${emailTemplates.id} IN ${inList(templateRefs)}`, sql`${emailTemplates.slug} IN ${inList(templateRefs)}`),
            ),
          ),
    campaignRefs.length === 0
      ? []
      : db
          .select({ id: emailCampaigns.id, campaign_type: emailCampaigns.campaign_type, template_id: emailCampaigns.template_id })
          .from(emailCampaigns)
          .where(and(eq(emailCampaigns.workspace_id, workspaceId), sql`${emailCampaigns.id} IN ${inList(campaignRefs)}`)),
  ]);
  const templateIdOf = new Map<string, string>();
  for (const t of templates) {
    templateIdOf.set(t.id, t.id);
    if (t.slug) templateIdOf.set(t.slug, t.id);
  }
  const campaignOf = new Map(campaigns.map((c) => [c.id, c]));

  const listRefs: ListReference[] = [];
  const drafts = steps.map((step, i): StepDraft => {
    const id = ids[i];
    const at = `${path}.${i}`;
    if (step.type === "wait") return { id, type: "wait", delay: step.delay };
    if (step.type === "milestone") return { id, type: "milestone", slug: step.slug, timeout: step.timeout, on_timeout: step.on_timeout };
    if (step.type === "branch") {
      listRefs.push(...listReferences(step.condition, `${at}.condition`));
      return { id, type: "branch", condition: step.condition, if_true: step.if_true, if_false: step.if_false };
    }
    const templateId = step.template === undefined ? undefined : templateIdOf.get(step.template);
    if (step.template !== undefined && templateId === undefined) {
      problems.push(problem(`${at}.template`, "no template with this id or slug in the workspace"));
    }
    if (step.campaign_id === undefined) {
      if (step.template === undefined) problems.push(problem(`${at}.template`, "an email step needs a template, a campaign_id or both"));
      return { id, type: "email", delay: step.delay, template_id: templateId ?? "", campaign_id: null };
    }
    const campaign = campaignOf.get(step.campaign_id);
    if (!campaign) {
      problems.push(problem(`${at}.campaign_id`, "no campaign with this id in the workspace"));
    } else if (campaign.campaign_type !== "triggered") {
      problems.push(
        problem(`${at}.campaign_id`, `the campaign is ${campaign.campaign_type}; a flow sends only through a triggered campaign`),
      );
    } else if (campaign.template_id === null) {
      problems.push(problem(`${at}.campaign_id`, "the campaign has no template"));
    } else if (templateId !== undefined && templateId !== campaign.template_id) {
      problems.push(
        problem(
          `${at}.template`,
          `the campaign sends the template ${campaign.template_id}, not this one: give the campaign's template or none`,
        ),
      );
    }
    return { id, type: "email", delay: step.delay, template_id: campaign?.template_id ?? templateId ?? "", campaign_id: step.campaign_id };
  });
  await assertListReferences(db, workspaceId, listRefs).catch((error: unknown) => {
    if (!(error instanceof InvalidFieldsError)) throw error;
    problems.push(...error.fields);
  });
  return drafts;
}
