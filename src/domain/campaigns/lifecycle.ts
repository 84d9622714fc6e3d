import { and, eq, exists, inArray, isNull, sql } from "drizzle-orm";
import type { Database } from "../../db/client";
import {
  type CampaignRun,
  campaignRecipients,
  campaignRuns,
  type EmailCampaign,
  type EmailTemplate,
  emailCampaigns,
  emailProviders,
  emailTemplates,
  sendingDomains,
  sendingIdentities,
  sendingPoolMembers,
  sendingPools,
  subscriberLists,
} from "../../db/schema";
import { newId } from "../../lib/ids";
import { conflict, invalidField } from "../errors";
import {
  type CampaignStatus,
  getCampaign,
  identityProblem,
  refuseStale,
  SENDABLE_DOMAIN_STATUSES,
  sendsOnlyThroughCapture,
} from "./campaigns";
import { recountRun } from "./counters";
import { nextOccurrence, scheduledAtProblem } from "./schedule";

export type CampaignAction = "schedule" | "send" | "pause" | "resume" | "cancel";

/** The lifecycle: draft → scheduled → sending → sent; scheduled/sending → paused; paused → sending, scheduled or cancelled. */
export const ALLOWED_FROM: Record<CampaignAction, readonly CampaignStatus[]> = {
  schedule: ["draft"],
  send: ["draft", "scheduled"],
  pause: ["scheduled", "sending"],
  resume: ["paused"],
  cancel: ["scheduled", "paused"],
};

/** The run a recipient row is pending under gets this reason when the campaign is cancelled. */
export const CANCELLED_REASON = "cancelled";

function assertCan(campaign: EmailCampaign, action: CampaignAction) {
  const allowed = ALLOWED_FROM[action];
  if (!allowed.includes(campaign.status)) {
    throw conflict(`campaign is ${campaign.status}: ${action} needs a campaign that is ${allowed.join(" or ")}`);
  }
  if (campaign.campaign_type === "triggered" && (action === "schedule" || action === "send")) {
    throw conflict("campaign is triggered: it sends one message per POST .../trigger, never to a whole audience");
  }
}

/** Wakes the run's dispatcher, which reads the run's new state from D1. */
export async function wakeDispatcher(env: Env, runId: string): Promise<void> {
  await env.CAMPAIGN_DISPATCHER.getByName(runId).wake(runId);
}

/** Domains a campaign without a pinned identity routes over: its pool's, else the default pool's, else the workspace's. */
async function domainsInScope(db: Database, campaign: EmailCampaign) {
  const pool = campaign.sending_pool_id
    ? { id: campaign.sending_pool_id }
    : await db
        .select({ id: sendingPools.id })
        .from(sendingPools)
        .where(and(eq(sendingPools.workspace_id, campaign.workspace_id), eq(sendingPools.is_default, true)))
        .get();
  return pool
    ? inArray(
        sendingDomains.id,
        db.select({ id: sendingPoolMembers.domain_id }).from(sendingPoolMembers).where(eq(sendingPoolMembers.pool_id, pool.id)),
      )
    : eq(sendingDomains.workspace_id, campaign.workspace_id);
}

async function routeProblem(db: Database, campaign: EmailCampaign): Promise<string | null> {
  const provider = await db
    .select({ id: emailProviders.id })
    .from(emailProviders)
    .where(eq(emailProviders.workspace_id, campaign.workspace_id))
    .get();
  if (!provider) return "the workspace has no email provider";
  if (campaign.sending_identity_id) {
    const problem = await identityProblem(db, campaign.workspace_id, campaign.sending_identity_id);
    return problem && `sending_identity_id: ${problem}`;
  }
  if (await sendsOnlyThroughCapture(db, campaign.workspace_id)) return null;
  const sendable = await db
    .select({ id: sendingDomains.id })
    .from(sendingDomains)
    .where(
      and(
        await domainsInScope(db, campaign),
        inArray(sendingDomains.status, [...SENDABLE_DOMAIN_STATUSES]),
        exists(db.select({ id: sendingIdentities.id }).from(sendingIdentities).where(eq(sendingIdentities.domain_id, sendingDomains.id))),
      ),
    )
    .get();
  return sendable
    ? null
    : `no verified, active or warming sending domain with a sending identity ${campaign.sending_pool_id ? "in the campaign's pool" : "to send from"}`;
}

/**
 * What a campaign needs before it can send to its audience: a template, an audience (a list or filters) and a
 * route (a provider, and a domain that can send). Returns the template whose current version a run pins. Sends to
 * addresses given in the request (test and triggered sends) pass `{ audience: false }`.
 */
export async function assertReadyToSend(
  db: Database,
  campaign: EmailCampaign,
  { audience = true }: { audience?: boolean } = {},
): Promise<EmailTemplate> {
  const template = campaign.template_id
    ? await db
        .select()
        .from(emailTemplates)
        .where(and(eq(emailTemplates.workspace_id, campaign.workspace_id), eq(emailTemplates.id, campaign.template_id)))
        .get()
    : undefined;
  if (!template) throw conflict(`campaign is ${campaign.status} without a template: set template_id first`);
  if (audience && campaign.list_id === null && campaign.audience_filters === null) {
    throw conflict(`campaign is ${campaign.status} without an audience: set list_id or audience_filters first`);
  }
  if (audience && campaign.list_id !== null) {
    const list = await db
      .select({ id: subscriberLists.id })
      .from(subscriberLists)
      .where(and(eq(subscriberLists.workspace_id, campaign.workspace_id), eq(subscriberLists.id, campaign.list_id)))
      .get();
    if (!list) throw conflict(`campaign is ${campaign.status} but its list ${campaign.list_id} no longer exists: set list_id again`);
  }
  const problem = await routeProblem(db, campaign);
  if (problem) throw conflict(`campaign is ${campaign.status} but cannot send: ${problem}`);
  return template;
}

/**
 * Starts a run of `campaign` as it was read (draft, scheduled, or paused with its time come): pins the template's
 * current version, writes the run and moves the campaign to sending in one batch whose update is conditional on the
 * campaign still being as read, so of two concurrent starts exactly one writes a run. Then wakes the run's dispatcher.
 */
export async function startRun(db: Database, env: Env, campaign: EmailCampaign, now: Date): Promise<CampaignRun> {
  if (campaign.current_run_id !== null) throw conflict(`campaign is ${campaign.status} with run ${campaign.current_run_id} in progress`);
  const template = await assertReadyToSend(db, campaign);
  const runId = newId("run", now.getTime());
  const at = now.toISOString();
  // A run is due at the campaign's time when that time has come; sent early (or from a draft), it is due now.
  const cameDue = campaign.status !== "draft" && campaign.scheduled_at !== null && campaign.scheduled_at < at;
  const scheduledFor = cameDue && campaign.scheduled_at ? campaign.scheduled_at : at;
  await db.batch([
    db
      .update(emailCampaigns)
      .set({
        status: "sending",
        current_run_id: runId,
        run_count: campaign.run_count + 1,
        template_version: template.version,
        started_at: campaign.started_at ?? at,
        completed_at: null,
        updated_at: at,
      })
      .where(
        and(
          eq(emailCampaigns.id, campaign.id),
          eq(emailCampaigns.status, campaign.status),
          eq(emailCampaigns.run_count, campaign.run_count),
          isNull(emailCampaigns.current_run_id),
        ),
      ),
    // Written only when the update above moved the campaign to this run: a lost race writes no run.
    db.insert(campaignRuns).select(sql`
      SELECT ${runId}, workspace_id, id, run_count, 'sending', ${template.id}, ${template.version}, ${scheduledFor},
        NULL, 0, 0, 0, 0, ${at}, NULL, ${at}, ${at}
      FROM ${emailCampaigns} WHERE id = ${campaign.id} AND current_run_id = ${runId}`),
  ]);
  const run = await db.select().from(campaignRuns).where(eq(campaignRuns.id, runId)).get();
  if (!run) return refuseStale(db, campaign.workspace_id, campaign.id, "start sending");
  await wakeDispatcher(env, runId);
  return run;
}

export interface ScheduleRequest {
  scheduled_at?: string;
}

/**
 * draft → scheduled. A one-time campaign sends at `scheduled_at` (the request's, else the one it has); a recurring
 * one at its next occurrence unless the request names its first time.
 */
export async function scheduleCampaign(
  db: Database,
  workspaceId: string,
  id: string,
  request: ScheduleRequest,
  now: Date,
): Promise<EmailCampaign> {
  const campaign = await getCampaign(db, workspaceId, id);
  assertCan(campaign, "schedule");
  const at = request.scheduled_at
    ? new Date(request.scheduled_at)
    : campaign.campaign_type === "recurring" && campaign.recurrence_cron && campaign.recurrence_timezone
      ? nextOccurrence(campaign.recurrence_cron, campaign.recurrence_timezone, now)
      : campaign.scheduled_at
        ? new Date(campaign.scheduled_at)
        : null;
  if (at === null) throw invalidField("body", "scheduled_at", "the campaign has no time to send at: give scheduled_at");
  const problem = scheduledAtProblem(at, now);
  if (problem) throw invalidField("body", "scheduled_at", `${problem} (it is ${at.toISOString()})`);
  await assertReadyToSend(db, campaign);
  const [updated] = await db
    .update(emailCampaigns)
    .set({ status: "scheduled", scheduled_at: at.toISOString(), updated_at: now.toISOString() })
    .where(and(eq(emailCampaigns.id, id), eq(emailCampaigns.status, campaign.status)))
    .returning();
  return updated ?? refuseStale(db, workspaceId, id, "be scheduled");
}

/** draft or scheduled → sending, now. */
export async function sendCampaign(db: Database, env: Env, workspaceId: string, id: string, now: Date): Promise<EmailCampaign> {
  const campaign = await getCampaign(db, workspaceId, id);
  assertCan(campaign, "send");
  await startRun(db, env, campaign, now);
  return getCampaign(db, workspaceId, id);
}

/**
 * Moves the campaign from the status it was read in to `to`, and its run (when it has one) from `runFrom` to `runTo`
 * in the same batch, only if the campaign's move happened: a concurrent transition makes this one a 409.
 */
async function transition(
  db: Database,
  campaign: EmailCampaign,
  to: CampaignStatus,
  action: CampaignAction,
  now: Date,
  run?: { from: readonly CampaignRun["status"][]; to: CampaignRun["status"] },
): Promise<EmailCampaign> {
  const at = now.toISOString();
  const movedCampaign = db
    .update(emailCampaigns)
    .set({ status: to, updated_at: at })
    .where(and(eq(emailCampaigns.id, campaign.id), eq(emailCampaigns.status, campaign.status)))
    .returning();
  const runId = campaign.current_run_id;
  if (!run || runId === null) {
    const [updated] = await movedCampaign;
    return updated ?? refuseStale(db, campaign.workspace_id, campaign.id, action);
  }
  const campaignMoved = exists(
    db
      .select({ id: emailCampaigns.id })
      .from(emailCampaigns)
      .where(and(eq(emailCampaigns.id, campaign.id), eq(emailCampaigns.status, to), eq(emailCampaigns.current_run_id, runId))),
  );
  const [[updated]] = await db.batch([
    movedCampaign,
    db
      .update(campaignRuns)
      .set({ status: run.to, updated_at: at, ...(run.to === "cancelled" ? { completed_at: at } : {}) })
      .where(and(eq(campaignRuns.id, runId), inArray(campaignRuns.status, [...run.from]), campaignMoved)),
    ...(run.to === "cancelled"
      ? [
          db
            .update(campaignRecipients)
            .set({
              status: "failed",
              failure_reason: CANCELLED_REASON,
              failure_detail: "the campaign was cancelled before this recipient was sent",
              updated_at: at,
            })
            .where(and(eq(campaignRecipients.run_id, runId), eq(campaignRecipients.status, "pending"), campaignMoved)),
        ]
      : []),
  ]);
  return updated ?? refuseStale(db, campaign.workspace_id, campaign.id, action);
}

/** scheduled or sending → paused; a run in progress pauses too and its dispatcher stops enqueuing. */
export async function pauseCampaign(db: Database, env: Env, workspaceId: string, id: string, now: Date): Promise<EmailCampaign> {
  const campaign = await getCampaign(db, workspaceId, id);
  assertCan(campaign, "pause");
  const paused = await transition(db, campaign, "paused", "pause", now, { from: ["sending"], to: "paused" });
  if (campaign.current_run_id) await wakeDispatcher(env, campaign.current_run_id);
  return paused;
}

/**
 * paused → sending when a run was paused (it continues where it stopped); with no run, → scheduled while its time
 * has not come, or a new run now when it has.
 */
export async function resumeCampaign(db: Database, env: Env, workspaceId: string, id: string, now: Date): Promise<EmailCampaign> {
  const campaign = await getCampaign(db, workspaceId, id);
  assertCan(campaign, "resume");
  if (campaign.current_run_id) {
    const resumed = await transition(db, campaign, "sending", "resume", now, { from: ["paused"], to: "sending" });
    await wakeDispatcher(env, campaign.current_run_id);
    return resumed;
  }
  if (campaign.scheduled_at && campaign.scheduled_at > now.toISOString()) return transition(db, campaign, "scheduled", "resume", now);
  await startRun(db, env, campaign, now);
  return getCampaign(db, workspaceId, id);
}

/** scheduled or paused → cancelled; its run is cancelled and every recipient still pending fails as `cancelled`. */
export async function cancelCampaign(db: Database, env: Env, workspaceId: string, id: string, now: Date): Promise<EmailCampaign> {
  const campaign = await getCampaign(db, workspaceId, id);
  assertCan(campaign, "cancel");
  const cancelled = await transition(db, campaign, "cancelled", "cancel", now, { from: ["sending", "paused"], to: "cancelled" });
  if (!campaign.current_run_id) return cancelled;
  // The recipients cancel just failed are counted now: a cancelled run is never recounted later.
  await recountRun(db, campaign.id, campaign.current_run_id);
  await wakeDispatcher(env, campaign.current_run_id);
  return getCampaign(db, workspaceId, id);
}
