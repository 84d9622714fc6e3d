import { and, eq, getTableColumns, sql } from "drizzle-orm";
import type { Database } from "../../db/client";
import { emailCampaigns, onboardingFlows, onboardingFlowVersions, userOnboardingProgress } from "../../db/schema";
import type { OnboardingStep } from "../../db/schema/onboarding";
import { newId } from "../../lib/ids";
import { keysetPage, type Page } from "../../lib/pagination";
import { conflict, type FieldProblem, invalidFields, notFound } from "../errors";
import { type FlowStepInput, resolveSteps, type StepDraft, stepStructureProblems } from "./flow-steps";
import { terminateInstances } from "./progress";

export type OnUnsubscribe = "stop" | "continue";

export interface FlowInput {
  name: string;
  slug: string;
  description?: string | null;
  steps: FlowStepInput[];
  on_unsubscribe?: OnUnsubscribe;
  is_active?: boolean;
}

export type FlowChanges = Partial<FlowInput>;

type FlowRow = typeof onboardingFlows.$inferSelect;

/** A flow as the API shows it: the flow row with its current version's resolved steps in place of the raw ones. */
export type FlowView = Omit<FlowRow, "steps"> & { steps: OnboardingStep[] };

/** Campaign names are at most 200 characters through the API; a managed one keeps to that too. */
const MAX_CAMPAIGN_NAME = 200;

const SLUG_TAKEN = "another onboarding flow of the workspace has this slug";
const CHANGED_CONCURRENTLY = "the flow was changed by another request at the same time; read it and try again";

const bodyProblem = (path: string, message: string): FieldProblem => ({ location: "body", path, message });
const summary = (problems: FieldProblem[]) => problems.map((p) => `${p.path}: ${p.message}`).join("; ");

const flowWithSteps = { ...getTableColumns(onboardingFlows), steps: onboardingFlowVersions.steps };

const selectFlows = (db: Database) =>
  db
    .select(flowWithSteps)
    .from(onboardingFlows)
    .innerJoin(
      onboardingFlowVersions,
      and(eq(onboardingFlowVersions.flow_id, onboardingFlows.id), eq(onboardingFlowVersions.version, onboardingFlows.version)),
    );

export async function getFlow(db: Database, workspaceId: string, flowId: string): Promise<FlowView> {
  const flow = await selectFlows(db)
    .where(and(eq(onboardingFlows.workspace_id, workspaceId), eq(onboardingFlows.id, flowId)))
    .get();
  if (!flow) throw notFound("Onboarding flow");
  return flow;
}

export function listFlows(db: Database, workspaceId: string, limit: number, cursor?: string): Promise<Page<FlowView>> {
  return keysetPage((after) => selectFlows(db).where(and(eq(onboardingFlows.workspace_id, workspaceId), after)), {
    key: onboardingFlows.id,
    limit,
    cursor,
  });
}

async function slugTaken(db: Database, workspaceId: string, slug: string): Promise<boolean> {
  const row = await db
    .select({ id: onboardingFlows.id })
    .from(onboardingFlows)
    .where(and(eq(onboardingFlows.workspace_id, workspaceId), eq(onboardingFlows.slug, slug)))
    .get();
  return row !== undefined;
}

/** Rules between steps first: a flow whose ids clash is not worth looking up in the database. */
async function resolveOrCollect(db: Database, workspaceId: string, steps: FlowStepInput[], problems: FieldProblem[]) {
  const structure = stepStructureProblems(steps, "steps");
  problems.push(...structure);
  if (structure.length > 0) return [];
  return resolveSteps(db, workspaceId, steps, "steps", problems);
}

type CampaignInsert = typeof emailCampaigns.$inferInsert;

/**
 * Gives each email step without a campaign of its own the flow's managed triggered campaign for it: the one the
 * previous version used for the same step id when the template is the same (its stats go on), else a new one.
 */
async function withManagedCampaigns(
  db: Database,
  workspaceId: string,
  flow: { id: string; name: string },
  drafts: StepDraft[],
  previous: OnboardingStep[],
): Promise<{ steps: OnboardingStep[]; newCampaigns: CampaignInsert[] }> {
  const managed = new Set(
    (
      await db
        .select({ id: emailCampaigns.id })
        .from(emailCampaigns)
        .where(and(eq(emailCampaigns.workspace_id, workspaceId), eq(emailCampaigns.onboarding_flow_id, flow.id)))
    ).map((c) => c.id),
  );
  const previousEmails = new Map(previous.flatMap((s) => (s.type === "email" ? [[s.id, s] as const] : [])));
  const newCampaigns: CampaignInsert[] = [];
  const steps = drafts.map((draft): OnboardingStep => {
    if (draft.type !== "email" || draft.campaign_id !== null) return draft as OnboardingStep;
    const before = previousEmails.get(draft.id);
    if (before && before.template_id === draft.template_id && managed.has(before.campaign_id)) {
      return { ...draft, campaign_id: before.campaign_id };
    }
    const suffix = ` · ${draft.id}`;
    const campaign: CampaignInsert = {
      id: newId("cmp"),
      workspace_id: workspaceId,
      name: `${flow.name.slice(0, MAX_CAMPAIGN_NAME - suffix.length)}${suffix}`,
      campaign_type: "triggered",
      template_id: draft.template_id,
      onboarding_flow_id: flow.id,
    };
    newCampaigns.push(campaign);
    return { ...draft, campaign_id: campaign.id as string };
  });
  return { steps, newCampaigns };
}

/** D1 reports a violated unique index in the message of the error or of its cause. */
const violates = (error: unknown, index: string) =>
  error instanceof Error && `${error.message} ${(error.cause as Error | undefined)?.message ?? ""}`.includes(index);

const SLUG_INDEX = "onboarding_flows.workspace_id, onboarding_flows.slug";
const VERSION_KEY = "onboarding_flow_versions.flow_id, onboarding_flow_versions.version";

/** A slug taken between the check and the write is the same 422; the batch wrote nothing. */
async function writeOrExplain<T>(write: Promise<T>): Promise<T> {
  try {
    return await write;
  } catch (error) {
    if (violates(error, SLUG_INDEX)) throw invalidFields(`slug: ${SLUG_TAKEN}`, [bodyProblem("slug", SLUG_TAKEN)]);
    if (violates(error, VERSION_KEY)) throw conflict(CHANGED_CONCURRENTLY);
    throw error;
  }
}

/** Creates the flow with its version 1 and the managed campaigns of its email steps, all in one batch. */
export async function createFlow(db: Database, workspaceId: string, input: FlowInput, now: Date): Promise<FlowView> {
  const problems: FieldProblem[] = [];
  if (await slugTaken(db, workspaceId, input.slug)) problems.push(bodyProblem("slug", SLUG_TAKEN));
  const drafts = await resolveOrCollect(db, workspaceId, input.steps, problems);
  if (problems.length > 0) throw invalidFields(summary(problems), problems);
  const flowId = newId("flw");
  const { steps, newCampaigns } = await withManagedCampaigns(db, workspaceId, { id: flowId, name: input.name }, drafts, []);
  const at = now.toISOString();
  const onUnsubscribe = input.on_unsubscribe ?? "stop";
  await writeOrExplain(
    db.batch([
      db.insert(onboardingFlows).values({
        id: flowId,
        workspace_id: workspaceId,
        name: input.name,
        slug: input.slug,
        description: input.description ?? null,
        steps: input.steps,
        version: 1,
        on_unsubscribe: onUnsubscribe,
        is_active: input.is_active ?? true,
        created_at: at,
        updated_at: at,
      }),
      db
        .insert(onboardingFlowVersions)
        .values({ workspace_id: workspaceId, flow_id: flowId, version: 1, steps, on_unsubscribe: onUnsubscribe, created_at: at }),
      ...newCampaigns.map((c) => db.insert(emailCampaigns).values({ ...c, created_at: at, updated_at: at })),
    ]),
  );
  return getFlow(db, workspaceId, flowId);
}

/**
 * Name, slug, description and is_active change the flow in place. New steps or a new on_unsubscribe make a new
 * version when they resolve to something else than the current one; users already in the flow stay on theirs.
 */
export async function updateFlow(db: Database, workspaceId: string, flowId: string, changes: FlowChanges, now: Date): Promise<FlowView> {
  const current = await getFlow(db, workspaceId, flowId);
  const problems: FieldProblem[] = [];
  if (changes.slug !== undefined && changes.slug !== current.slug && (await slugTaken(db, workspaceId, changes.slug))) {
    problems.push(bodyProblem("slug", SLUG_TAKEN));
  }
  const drafts = changes.steps === undefined ? undefined : await resolveOrCollect(db, workspaceId, changes.steps, problems);
  if (problems.length > 0) throw invalidFields(summary(problems), problems);

  const name = changes.name ?? current.name;
  const onUnsubscribe = changes.on_unsubscribe ?? current.on_unsubscribe;
  const resolved = drafts && (await withManagedCampaigns(db, workspaceId, { id: flowId, name }, drafts, current.steps));
  const steps = resolved?.steps ?? current.steps;
  const changesVersion = onUnsubscribe !== current.on_unsubscribe || JSON.stringify(steps) !== JSON.stringify(current.steps);
  const version = changesVersion ? current.version + 1 : current.version;
  const at = now.toISOString();

  const set: Partial<typeof onboardingFlows.$inferInsert> = { updated_at: at, version, on_unsubscribe: onUnsubscribe };
  if (changes.name !== undefined) set.name = changes.name;
  if (changes.slug !== undefined) set.slug = changes.slug;
  if (changes.description !== undefined) set.description = changes.description;
  if (changes.is_active !== undefined) set.is_active = changes.is_active;
  if (changes.steps !== undefined) set.steps = changes.steps;

  const newCampaigns = changesVersion ? (resolved?.newCampaigns ?? []) : [];
  // The update holds only while the flow is on the version it was read at, so of two concurrent changes one wins.
  const [updated] = await writeOrExplain(
    db.batch([
      db
        .update(onboardingFlows)
        .set(set)
        .where(and(eq(onboardingFlows.id, flowId), eq(onboardingFlows.version, current.version)))
        .returning({ id: onboardingFlows.id }),
      ...newCampaigns.map((c) => db.insert(emailCampaigns).values({ ...c, created_at: at, updated_at: at })),
      ...(changesVersion
        ? [
            db
              .insert(onboardingFlowVersions)
              .values({ workspace_id: workspaceId, flow_id: flowId, version, steps, on_unsubscribe: onUnsubscribe, created_at: at }),
          ]
        : []),
    ]),
  );
  if (updated.length === 0) throw conflict(CHANGED_CONCURRENTLY);
  return getFlow(db, workspaceId, flowId);
}

/**
 * Cancels every active run of the flow (`flow_deleted`) and ends their instances, then deletes the flow with its
 * versions, progress and step history. Its managed campaigns stay: their sends and stats are history.
 */
export async function deleteFlow(
  deps: { db: Database; env: Env },
  workspaceId: string,
  flowId: string,
  now: Date,
): Promise<{ cancelled: string[] }> {
  const { db, env } = deps;
  await getFlow(db, workspaceId, flowId);
  const cancelled = await db
    .update(userOnboardingProgress)
    .set({ status: "cancelled", stop_reason: "flow_deleted", next_step_at: null, updated_at: now.toISOString() })
    .where(and(eq(userOnboardingProgress.flow_id, flowId), eq(userOnboardingProgress.status, "active")))
    .returning({ id: userOnboardingProgress.id });
  const ids = cancelled.map((p) => p.id);
  await terminateInstances(env, ids);
  await db.delete(onboardingFlows).where(and(eq(onboardingFlows.workspace_id, workspaceId), eq(onboardingFlows.id, flowId)));
  return { cancelled: ids };
}

export interface StepStats {
  step_id: string;
  type: string;
  /** Users who got to the step: those it is recorded for, whatever the outcome, and those at it now. */
  reached: number;
  /** Users at the step now (waiting out a delay or for a milestone). */
  active: number;
  sent: number;
  skipped: number;
  failed: number;
  timed_out: number;
}

export interface MilestoneStats {
  slug: string;
  reached: number;
  /** From the user's start in the flow to the milestone; null while nobody has reached it. */
  median_seconds_to_reach: number | null;
}

export interface FlowProgressStats {
  flow_id: string;
  version: number;
  enrolled: number;
  active: number;
  completed: number;
  stopped: number;
  cancelled: number;
  /** completed / enrolled, a fraction rounded to 4 places; null while nobody enrolled. */
  completion_rate: number | null;
  steps: StepStats[];
  milestones: MilestoneStats[];
}

interface StepRow {
  step_id: string;
  step_type: string;
  passed: number;
  active: number;
  sent: number;
  skipped: number;
  failed: number;
  timed_out: number;
}

/**
 * Counts over every version of the flow, aggregated in SQL: the progress rows by status, the step history by step and
 * outcome (plus the users at each step now), and per milestone slug the median time from start to reaching it.
 * Steps and milestones of the current version come first, in its order; those only older versions had follow.
 */
export async function flowProgress(db: Database, workspaceId: string, flowId: string): Promise<FlowProgressStats> {
  const flow = await getFlow(db, workspaceId, flowId);
  const ofFlow = sql`p.workspace_id = ${workspaceId} AND p.flow_id = ${flowId}`;
  const [totals, stepRows, milestoneRows] = await Promise.all([
    db.get<{ enrolled: number; active: number; completed: number; stopped: number; cancelled: number }>(sql`
      SELECT count(*) AS enrolled,
             coalesce(sum(p.status = 'active'), 0) AS active,
             coalesce(sum(p.status = 'completed'), 0) AS completed,
             coalesce(sum(p.status = 'stopped'), 0) AS stopped,
             coalesce(sum(p.status = 'cancelled'), 0) AS cancelled
      FROM user_onboarding_progress p WHERE ${ofFlow}`),
    db.all<StepRow>(sql`
      SELECT step_id, step_type, sum(passed) AS passed, sum(active) AS active, sum(sent) AS sent, sum(skipped) AS skipped,
             sum(failed) AS failed, sum(timed_out) AS timed_out
      FROM (
        SELECT s.step_id, s.step_type, count(*) AS passed, 0 AS active,
               sum(s.outcome = 'sent') AS sent, sum(s.outcome = 'skipped') AS skipped,
               sum(s.outcome = 'failed') AS failed, sum(s.outcome = 'timed_out') AS timed_out
        FROM onboarding_progress_steps s JOIN user_onboarding_progress p ON p.id = s.progress_id
        WHERE ${ofFlow}
        GROUP BY s.step_id, s.step_type
        UNION ALL
        SELECT json_extract(v.steps, '$[' || p.current_step || '].id'), json_extract(v.steps, '$[' || p.current_step || '].type'),
               0, count(*), 0, 0, 0, 0
        FROM user_onboarding_progress p
        JOIN onboarding_flow_versions v ON v.flow_id = p.flow_id AND v.version = p.flow_version
        WHERE ${ofFlow} AND p.status = 'active'
          AND NOT EXISTS (SELECT 1 FROM onboarding_progress_steps s WHERE s.progress_id = p.id AND s.step_index = p.current_step)
        GROUP BY 1, 2
      )
      WHERE step_id IS NOT NULL
      GROUP BY step_id, step_type`),
    db.all<{ slug: string; reached: number; median_seconds: number }>(sql`
      WITH reached AS (
        SELECT json_extract(v.steps, '$[' || s.step_index || '].slug') AS slug,
               (julianday(s.finished_at) - julianday(p.started_at)) * 86400.0 AS seconds
        FROM onboarding_progress_steps s
        JOIN user_onboarding_progress p ON p.id = s.progress_id
        JOIN onboarding_flow_versions v ON v.flow_id = p.flow_id AND v.version = p.flow_version
        WHERE ${ofFlow} AND s.step_type = 'milestone' AND s.outcome = 'reached'
      ), ranked AS (
        SELECT slug, seconds, row_number() OVER (PARTITION BY slug ORDER BY seconds) AS position, count(*) OVER (PARTITION BY slug) AS reached
        FROM reached WHERE slug IS NOT NULL AND seconds IS NOT NULL
      )
      SELECT slug, reached, avg(seconds) AS median_seconds FROM ranked
      WHERE position IN ((reached + 1) / 2, (reached + 2) / 2)
      GROUP BY slug, reached`),
  ]);
  const counts = totals ?? { enrolled: 0, active: 0, completed: 0, stopped: 0, cancelled: 0 };

  const key = (id: string, type: string) => `${type}\u0000${id}`;
  const rowsByStep = new Map(stepRows.map((r) => [key(r.step_id, r.step_type), r]));
  const order = [...flow.steps.map((s) => key(s.id, s.type)), ...[...rowsByStep.keys()].sort()];
  const steps = [...new Set(order)].map((k): StepStats => {
    const [type, stepId] = k.split("\u0000");
    const row = rowsByStep.get(k);
    return {
      step_id: stepId,
      type,
      reached: (row?.passed ?? 0) + (row?.active ?? 0),
      active: row?.active ?? 0,
      sent: row?.sent ?? 0,
      skipped: row?.skipped ?? 0,
      failed: row?.failed ?? 0,
      timed_out: row?.timed_out ?? 0,
    };
  });

  const milestonesBySlug = new Map(milestoneRows.map((r) => [r.slug, r]));
  const slugs = [...flow.steps.flatMap((s) => (s.type === "milestone" ? [s.slug] : [])), ...[...milestonesBySlug.keys()].sort()];
  const milestones = [...new Set(slugs)].map((slug): MilestoneStats => {
    const row = milestonesBySlug.get(slug);
    return {
      slug,
      reached: row?.reached ?? 0,
      median_seconds_to_reach: row ? Math.round(row.median_seconds * 1000) / 1000 : null,
    };
  });

  return {
    flow_id: flow.id,
    version: flow.version,
    ...counts,
    completion_rate: counts.enrolled > 0 ? Math.round((counts.completed / counts.enrolled) * 10_000) / 10_000 : null,
    steps,
    milestones,
  };
}
