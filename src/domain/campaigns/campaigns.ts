import { and, eq, isNull, notExists, or } from "drizzle-orm";
import type { Database } from "../../db/client";
import {
  campaignRecipients,
  type EmailCampaign,
  emailCampaigns,
  emailProviders,
  emailTemplates,
  type RoutingConfig,
  type SendWindow,
  sendingDomains,
  sendingIdentities,
  sendingPools,
  subscriberLists,
} from "../../db/schema";
import type { campaignStatuses, campaignTypes } from "../../db/schema/enums";
import { newId } from "../../lib/ids";
import { findInWorkspace } from "../../lib/lookups";
import { keysetPage, type Page } from "../../lib/pagination";
import { categoryBySlug } from "../audience/categories";
import { type AudienceFilter, assertFilterReferences } from "../audience/segments";
import { sendingHost } from "../domains/sending-domains";
import { conflict, type FieldProblem, InvalidFieldsError, invalidFields } from "../errors";
import { checkPreferredProviders } from "../provider-accounts/providers";
import { campaignUsers, usedBy } from "./campaign-references";
import { nextOccurrence, scheduledAtProblem } from "./schedule";

export type CampaignType = (typeof campaignTypes)[number];
export type CampaignStatus = (typeof campaignStatuses)[number];

export interface CampaignSchedule {
  cron: string;
  /** IANA timezone the cron is read in. */
  timezone: string;
}

export interface CampaignInput {
  name: string;
  description?: string | null;
  campaign_type?: CampaignType;
  /** A template id or slug of the workspace; stored as the id. */
  template_id?: string | null;
  /** A preference category slug of the workspace: subscribers opted out of it are skipped. */
  category?: string | null;
  scheduled_at?: string | null;
  /** Recurring campaigns only. */
  schedule?: CampaignSchedule | null;
  list_id?: string | null;
  audience_filters?: AudienceFilter | null;
  send_window?: SendWindow | null;
  from_name?: string | null;
  from_email?: string | null;
  reply_to?: string | null;
  template_context?: Record<string, unknown>;
  sending_pool_id?: string | null;
  sending_identity_id?: string | null;
  routing_config?: RoutingConfig | null;
  /** Null: the CAMPAIGN_SEND_RATE_PER_MINUTE default. */
  send_rate_per_minute?: number | null;
  /** Open pixel and tracked links (when the provider has not turned tracking off). */
  tracking_enabled?: boolean;
}

export type CampaignChanges = Partial<CampaignInput>;

/** Statuses in which a campaign can still be edited: nothing is being sent right now, and it may still send. */
export const EDITABLE_STATUSES: readonly CampaignStatus[] = ["draft", "scheduled", "paused"];

/** What a run in progress reads from the campaign as its audience and content: frozen until the run ends. */
const FIELDS_FROZEN_BY_A_RUN = ["campaign_type", "template_id", "list_id", "audience_filters"] as const;

/** Domain statuses from which mail may leave: the router sends from nothing else. */
export const SENDABLE_DOMAIN_STATUSES = ["verified", "active", "warming"] as const;

type CampaignRow = typeof emailCampaigns.$inferInsert;

const bodyProblem = (path: string, message: string): FieldProblem => ({ location: "body", path, message });

/**
 * True when every provider of the workspace is a capture provider (and there is one): nothing can leave the machine,
 * so no domain needs to be verified before a campaign sends.
 */
export async function sendsOnlyThroughCapture(db: Database, workspaceId: string): Promise<boolean> {
  const types = await db
    .selectDistinct({ type: emailProviders.provider_type })
    .from(emailProviders)
    .where(eq(emailProviders.workspace_id, workspaceId));
  return types.length > 0 && types.every((t) => t.type === "capture");
}

/** Why a sending identity cannot send right now, or null when it can. */
export async function identityProblem(db: Database, workspaceId: string, identityId: string): Promise<string | null> {
  const row = await db
    .select({ domain: sendingDomains })
    .from(sendingIdentities)
    .innerJoin(sendingDomains, eq(sendingDomains.id, sendingIdentities.domain_id))
    .where(and(eq(sendingIdentities.workspace_id, workspaceId), eq(sendingIdentities.id, identityId)))
    .get();
  if (!row) return "no sending identity with this id in the workspace";
  if ((SENDABLE_DOMAIN_STATUSES as readonly string[]).includes(row.domain.status)) return null;
  if (await sendsOnlyThroughCapture(db, workspaceId)) return null;
  return `its sending domain ${sendingHost(row.domain)} is ${row.domain.status}; only a verified, active or warming domain can send (a workspace whose only providers are capture providers needs none)`;
}

async function existsInWorkspace(
  db: Database,
  table: typeof subscriberLists | typeof sendingPools,
  workspaceId: string,
  id: string,
): Promise<boolean> {
  const row = await db
    .select({ id: table.id })
    .from(table)
    .where(and(eq(table.workspace_id, workspaceId), eq(table.id, id)))
    .get();
  return row !== undefined;
}

/**
 * Checks every reference of the request against the workspace and turns the request into column values. Problems
 * are collected, so one 422 names every field at fault.
 */
async function resolveFields(
  db: Database,
  workspaceId: string,
  input: CampaignChanges,
  problems: FieldProblem[],
): Promise<Partial<CampaignRow>> {
  const set: Partial<CampaignRow> = {};
  if (input.name !== undefined) set.name = input.name;
  if (input.description !== undefined) set.description = input.description;
  if (input.campaign_type !== undefined) set.campaign_type = input.campaign_type;
  if (input.template_id !== undefined) {
    if (input.template_id === null) set.template_id = null;
    else {
      const template = await db
        .select({ id: emailTemplates.id })
        .from(emailTemplates)
        .where(
          and(
            eq(emailTemplates.workspace_id, workspaceId),
            or(eq(emailTemplates.id, input.template_id), eq(emailTemplates.slug, input.template_id)),
          ),
        )
        .get();
      if (template) set.template_id = template.id;
      else problems.push(bodyProblem("template_id", "no template with this id or slug in the workspace"));
    }
  }
  if (input.category !== undefined) {
    if (input.category === null) set.category_slug = null;
    else if (await categoryBySlug(db, workspaceId, input.category)) set.category_slug = input.category;
    else problems.push(bodyProblem("category", "no preference category with this slug in the workspace"));
  }
  if (input.scheduled_at !== undefined) set.scheduled_at = input.scheduled_at === null ? null : new Date(input.scheduled_at).toISOString();
  if (input.schedule !== undefined) {
    set.recurrence_cron = input.schedule?.cron ?? null;
    set.recurrence_timezone = input.schedule?.timezone ?? null;
  }
  if (input.list_id !== undefined) {
    if (input.list_id !== null && !(await existsInWorkspace(db, subscriberLists, workspaceId, input.list_id))) {
      problems.push(bodyProblem("list_id", "no list with this id in the workspace"));
    }
    set.list_id = input.list_id;
  }
  if (input.audience_filters !== undefined) {
    if (input.audience_filters !== null) {
      await assertFilterReferences(db, workspaceId, input.audience_filters, "audience_filters").catch((error: unknown) => {
        if (!(error instanceof InvalidFieldsError)) throw error;
        problems.push(...error.fields);
      });
    }
    set.audience_filters = input.audience_filters as Record<string, unknown> | null;
  }
  if (input.send_window !== undefined) set.send_window = input.send_window;
  if (input.from_name !== undefined) set.from_name = input.from_name;
  if (input.from_email !== undefined) set.from_email = input.from_email;
  if (input.reply_to !== undefined) set.reply_to = input.reply_to;
  if (input.tracking_enabled !== undefined) set.tracking_enabled = input.tracking_enabled;
  if (input.template_context !== undefined) set.template_context = input.template_context;
  if (input.sending_pool_id !== undefined) {
    if (input.sending_pool_id !== null && !(await existsInWorkspace(db, sendingPools, workspaceId, input.sending_pool_id))) {
      problems.push(bodyProblem("sending_pool_id", "no sending pool with this id in the workspace"));
    }
    set.sending_pool_id = input.sending_pool_id;
  }
  if (input.sending_identity_id !== undefined) {
    const problem = input.sending_identity_id === null ? null : await identityProblem(db, workspaceId, input.sending_identity_id);
    if (problem) problems.push(bodyProblem("sending_identity_id", problem));
    set.sending_identity_id = input.sending_identity_id;
  }
  if (input.routing_config !== undefined) {
    await checkPreferredProviders(db, workspaceId, input.routing_config?.preferred_providers, "routing_config.preferred_providers").catch(
      (error: unknown) => {
        if (!(error instanceof InvalidFieldsError)) throw error;
        problems.push(...error.fields);
      },
    );
    set.routing_config = input.routing_config;
  }
  if (input.send_rate_per_minute !== undefined) set.send_rate_per_minute = input.send_rate_per_minute;
  return set;
}

interface Timing {
  campaign_type: CampaignType;
  status: CampaignStatus;
  scheduled_at: string | null;
  recurrence_cron: string | null;
  recurrence_timezone: string | null;
}

/**
 * The rules that hold between fields, checked on the campaign as it would be after the change. A recurring campaign
 * that is scheduled and gets a new schedule moves to the schedule's next occurrence unless the request names a time.
 */
function checkTiming(next: Timing, input: CampaignChanges, set: Partial<CampaignRow>, now: Date, problems: FieldProblem[]) {
  if (next.campaign_type === "recurring" && next.recurrence_cron === null) {
    problems.push(bodyProblem("schedule", "a recurring campaign needs a schedule {cron, timezone}"));
  }
  if (next.campaign_type !== "recurring" && next.recurrence_cron !== null) {
    problems.push(bodyProblem("schedule", "only a recurring campaign has a schedule"));
  }
  if (next.campaign_type === "triggered" && next.scheduled_at !== null) {
    problems.push(bodyProblem("scheduled_at", "a triggered campaign is sent by POST .../trigger, not at a time"));
  }
  const timeProblem = input.scheduled_at ? scheduledAtProblem(new Date(input.scheduled_at), now) : null;
  if (timeProblem) problems.push(bodyProblem("scheduled_at", timeProblem));
  const waitsForItsTime = next.status === "scheduled" || next.status === "paused";
  if (waitsForItsTime && input.schedule && input.scheduled_at === undefined && next.campaign_type === "recurring") {
    const occurrence = nextOccurrence(input.schedule.cron, input.schedule.timezone, now);
    set.scheduled_at = occurrence?.toISOString() ?? null;
    next.scheduled_at = set.scheduled_at;
  }
  if (next.status === "scheduled" && next.scheduled_at === null && next.campaign_type !== "triggered") {
    problems.push(bodyProblem("scheduled_at", "a scheduled campaign needs a time; cancel or pause it instead"));
  }
}

export async function createCampaign(db: Database, workspaceId: string, input: CampaignInput, now: Date): Promise<EmailCampaign> {
  const problems: FieldProblem[] = [];
  const set = await resolveFields(db, workspaceId, input, problems);
  checkTiming(
    {
      campaign_type: input.campaign_type ?? "one_time",
      status: "draft",
      scheduled_at: set.scheduled_at ?? null,
      recurrence_cron: set.recurrence_cron ?? null,
      recurrence_timezone: set.recurrence_timezone ?? null,
    },
    input,
    set,
    now,
    problems,
  );
  if (problems.length > 0) throw invalidFields(summary(problems), problems);
  const [campaign] = await db
    .insert(emailCampaigns)
    .values({ ...set, id: newId("cmp"), workspace_id: workspaceId, name: input.name })
    .returning();
  return campaign;
}

const summary = (problems: FieldProblem[]) => problems.map((p) => `${p.path}: ${p.message}`).join("; ");

export const getCampaign = (db: Database, workspaceId: string, id: string): Promise<EmailCampaign> =>
  findInWorkspace(db, emailCampaigns, workspaceId, id, "Campaign");

export interface CampaignFilter {
  status?: CampaignStatus;
  campaign_type?: CampaignType;
}

export async function listCampaigns(
  db: Database,
  workspaceId: string,
  filter: CampaignFilter,
  limit: number,
  cursor?: string,
): Promise<Page<EmailCampaign>> {
  return keysetPage(
    (after) =>
      db
        .select()
        .from(emailCampaigns)
        .where(
          and(
            eq(emailCampaigns.workspace_id, workspaceId),
            filter.status ? eq(emailCampaigns.status, filter.status) : undefined,
            filter.campaign_type ? eq(emailCampaigns.campaign_type, filter.campaign_type) : undefined,
            after,
          ),
        ),
    { key: emailCampaigns.id, order: "desc", limit, cursor },
  );
}

/**
 * Changes what is still safe to change: only while nothing is being sent (draft, scheduled, paused), and never the
 * audience or content of a run in progress. The update is conditional on the state it was checked against, so a
 * send or pause racing with it cannot let both through.
 */
export async function updateCampaign(
  db: Database,
  workspaceId: string,
  id: string,
  changes: CampaignChanges,
  now: Date,
): Promise<EmailCampaign> {
  const current = await getCampaign(db, workspaceId, id);
  if (!EDITABLE_STATUSES.includes(current.status)) {
    throw conflict(`campaign is ${current.status}: it can be changed only while draft, scheduled or paused`);
  }
  if (current.current_run_id !== null) {
    // A value sent back as it was read is no change: clients often PATCH the whole object they fetched.
    const frozen = FIELDS_FROZEN_BY_A_RUN.filter(
      (field) => changes[field] !== undefined && JSON.stringify(changes[field]) !== JSON.stringify(current[field]),
    );
    if (frozen.length > 0) {
      throw conflict(
        `campaign is ${current.status} with run ${current.current_run_id} in progress: ${frozen.join(", ")} cannot change until the run ends or is cancelled`,
      );
    }
  }
  if (changes.campaign_type !== undefined && changes.campaign_type !== current.campaign_type) {
    const users = await campaignUsers(db, workspaceId, id);
    if (users.length > 0) throw conflict(`campaign_type cannot change: ${usedBy(users)}`);
  }
  const problems: FieldProblem[] = [];
  const set = await resolveFields(db, workspaceId, changes, problems);
  checkTiming(
    {
      campaign_type: set.campaign_type ?? current.campaign_type,
      status: current.status,
      scheduled_at: set.scheduled_at !== undefined ? set.scheduled_at : current.scheduled_at,
      recurrence_cron: set.recurrence_cron !== undefined ? set.recurrence_cron : current.recurrence_cron,
      recurrence_timezone: set.recurrence_timezone !== undefined ? set.recurrence_timezone : current.recurrence_timezone,
    },
    changes,
    set,
    now,
    problems,
  );
  if (problems.length > 0) throw invalidFields(summary(problems), problems);
  if (Object.keys(set).length === 0) return current;
  const [updated] = await db
    .update(emailCampaigns)
    .set({ ...set, updated_at: now.toISOString() })
    .where(and(eq(emailCampaigns.id, id), eq(emailCampaigns.status, current.status), sameRun(current.current_run_id)))
    .returning();
  if (!updated) return refuseStale(db, workspaceId, id, "be changed");
  return updated;
}

const sameRun = (runId: string | null) =>
  runId === null ? isNull(emailCampaigns.current_run_id) : eq(emailCampaigns.current_run_id, runId);

/** A conditional write found the campaign moved on since it was read: a 409 naming the state it is in now. */
export async function refuseStale(db: Database, workspaceId: string, id: string, action: string): Promise<never> {
  const now = await getCampaign(db, workspaceId, id);
  throw conflict(`campaign is ${now.status}: it cannot ${action}`);
}

/** Only a draft can be deleted: anything that has been scheduled or sent is history its reports need. */
export async function deleteCampaign(db: Database, workspaceId: string, id: string): Promise<void> {
  const current = await getCampaign(db, workspaceId, id);
  if (current.status !== "draft") throw conflict(`campaign is ${current.status}: only a draft can be deleted`);
  // A triggered campaign stays a draft while it sends; its recipients are history that suppression, cross-campaign
  // bounces and frequency caps read, and deleting the campaign would delete them with it.
  const sentTo = db.select({ id: campaignRecipients.id }).from(campaignRecipients).where(eq(campaignRecipients.campaign_id, id));
  if (await sentTo.limit(1).get()) {
    throw conflict("campaign is draft but has recipients (triggered sends): its history stays, so it cannot be deleted");
  }
  const users = await campaignUsers(db, workspaceId, id);
  if (users.length > 0) throw conflict(`campaign cannot be deleted: ${usedBy(users)}`);
  const deleted = await db
    .delete(emailCampaigns)
    .where(and(eq(emailCampaigns.id, id), eq(emailCampaigns.status, "draft"), notExists(sentTo)))
    .returning({ id: emailCampaigns.id });
  if (deleted.length === 0) await refuseStale(db, workspaceId, id, "be deleted");
}
