import { z } from "@hono/zod-openapi";
import type { CampaignRecipient, CampaignRun, EmailCampaign } from "../../db/schema";
import { campaignRunStatuses, campaignStatuses, campaignTypes, recipientStatuses, routingStrategies } from "../../db/schema/enums";
import { AudienceFilterSchema } from "../../domain/audience/segments";
import { cronProblem, timezoneProblem } from "../../domain/campaigns/schedule";
import { orNull } from "../../lib/openapi";
import { SLUG_MESSAGE, SLUG_PATTERN } from "../../lib/slug";
import { RoutingConfigSchema } from "../pools/pools.schemas";
import { WorkspaceParamsSchema } from "../workspaces/workspaces.schemas";

/**
 * A million a minute (16,667/s): above what one large provider account takes, so the ceiling is the providers'
 * own limits and warming, which apply on top, not this setting.
 */
export const MAX_SEND_RATE_PER_MINUTE = 1_000_000;

/** Template values are stored in one D1 row (whose limit is 2 MB) and read for every recipient: kept small. */
export const MAX_CONTEXT_JSON_LENGTH = 65_536;

export const templateValues = (description: string, example: Record<string, unknown>) =>
  z
    .record(z.string(), z.unknown())
    .refine((values) => JSON.stringify(values).length <= MAX_CONTEXT_JSON_LENGTH, "may hold at most 64 KB of JSON")
    .openapi({ description: `${description} (at most 64 KB of JSON)`, example });

const LOCAL_TIME = /^([01]\d|2[0-3]):[0-5]\d$/;

const ScheduleSchema = z
  .object({
    cron: z
      .string()
      .max(200)
      .superRefine((cron, ctx) => {
        const problem = cronProblem(cron);
        if (problem) ctx.addIssue({ code: "custom", message: problem });
      })
      .openapi({ description: "Five fields: minute hour day-of-month month day-of-week (or @daily, @weekly …)", example: "0 9 * * 1" }),
    timezone: z
      .string()
      .max(100)
      .superRefine((zone, ctx) => {
        const problem = timezoneProblem(zone);
        if (problem) ctx.addIssue({ code: "custom", message: problem });
      })
      .openapi({ description: "IANA timezone the cron is read in", example: "Europe/Berlin" }),
  })
  .strict()
  .openapi("CampaignSchedule", { description: "When a recurring campaign runs" });

const SendWindowSchema = z
  .object({
    start: z.string().regex(LOCAL_TIME, "must be a local time HH:MM").openapi({ example: "09:00" }),
    end: z.string().regex(LOCAL_TIME, "must be a local time HH:MM").openapi({ example: "17:00" }),
    timezone: z
      .string()
      .max(100)
      .superRefine((zone, ctx) => {
        if (zone !== "subscriber" && timezoneProblem(zone)) {
          ctx.addIssue({ code: "custom", message: 'must be an IANA time zone such as Europe/Berlin, or "subscriber"' });
        }
      })
      .openapi({
        description: "IANA timezone the window is read in, or `subscriber`: each subscriber's `timezone` attribute when set",
        example: "America/New_York",
      }),
  })
  .strict()
  .refine((w) => w.start !== w.end, { path: ["end"], message: "must differ from start (the window would be empty)" })
  .openapi("CampaignSendWindow", { description: "Nothing is sent outside this daily window; an end before the start crosses midnight" });

const id = (description: string) => z.string().min(1).max(64).nullable().openapi({ description });

const fields = {
  name: z.string().trim().min(1).max(200).openapi({ example: "December newsletter" }),
  description: z.string().max(2000).nullable(),
  campaign_type: z.enum(campaignTypes).openapi({
    description: "`one_time`: sent once; `recurring`: one run per occurrence of `schedule`; `triggered`: one message per POST .../trigger",
  }),
  template_id: z
    .string()
    .min(1)
    .max(200)
    .nullable()
    .openapi({ description: "Template id or slug (stored as the id); its version is pinned when a run starts" }),
  category: z
    .string()
    .regex(SLUG_PATTERN, SLUG_MESSAGE)
    .nullable()
    .openapi({ description: "Preference category slug: subscribers who opted out of it are skipped", example: "newsletter" }),
  scheduled_at: z.iso
    .datetime({ offset: true })
    .nullable()
    .openapi({ description: "When to send (RFC 3339, in the future); a recurring campaign's next run", example: "2026-12-24T09:00:00Z" }),
  schedule: orNull(ScheduleSchema),
  list_id: id("The list to send to"),
  audience_filters: orNull(AudienceFilterSchema),
  send_window: orNull(SendWindowSchema),
  from_name: z.string().trim().max(200).nullable(),
  from_email: z.email().max(254).nullable(),
  reply_to: z.email().max(254).nullable(),
  template_context: templateValues("Template variables for every recipient; a recipient's own values win", { issue: 12 }),
  sending_pool_id: id("Route through this pool (else the default pool, else every domain of the workspace)"),
  sending_identity_id: id("Send from this identity; its domain must be able to send"),
  routing_config: orNull(RoutingConfigSchema),
  send_rate_per_minute: z.number().int().min(1).max(MAX_SEND_RATE_PER_MINUTE).nullable().openapi({
    description:
      "Messages per minute (at most 1,000,000); null: the deployment's CAMPAIGN_SEND_RATE_PER_MINUTE. Provider limits and warming still apply",
  }),
  tracking_enabled: z.boolean().openapi({
    description:
      "Add the open pixel and tracked links to sends (default true); a provider's settings.tracking_enabled false turns it off for its sends",
  }),
};

export const CreateCampaignSchema = z
  .object({
    name: fields.name,
    description: fields.description.optional(),
    campaign_type: fields.campaign_type.default("one_time"),
    template_id: fields.template_id.optional(),
    category: fields.category.optional(),
    scheduled_at: fields.scheduled_at.optional(),
    schedule: fields.schedule.optional(),
    list_id: fields.list_id.optional(),
    audience_filters: fields.audience_filters.optional(),
    send_window: fields.send_window.optional(),
    from_name: fields.from_name.optional(),
    from_email: fields.from_email.optional(),
    reply_to: fields.reply_to.optional(),
    template_context: fields.template_context.default({}),
    sending_pool_id: fields.sending_pool_id.optional(),
    sending_identity_id: fields.sending_identity_id.optional(),
    routing_config: fields.routing_config.optional(),
    send_rate_per_minute: fields.send_rate_per_minute.optional(),
    tracking_enabled: fields.tracking_enabled.optional(),
  })
  .strict()
  .openapi("CreateEmailCampaign");

export const UpdateCampaignSchema = z.object(fields).partial().strict().openapi("UpdateEmailCampaign", {
  description:
    "Only while draft, scheduled or paused. While a run is in progress (paused mid-send), campaign_type, template_id, list_id and audience_filters cannot change (409).",
});

export const ScheduleCampaignSchema = z
  .object({
    scheduled_at: z.iso
      .datetime({ offset: true })
      .optional()
      .openapi({ description: "Defaults to the campaign's scheduled_at; for a recurring campaign, to its schedule's next occurrence" }),
  })
  .strict()
  .openapi("ScheduleEmailCampaign");

const StatsSchema = {
  total_recipients: z.number().int(),
  sent_count: z.number().int(),
  failed_count: z.number().int(),
  unknown_count: z
    .number()
    .int()
    .openapi({ description: "Recipients the provider may or may not have accepted: never resent automatically" }),
};

export const CampaignSchema = z
  .object({
    id: z.string().openapi({ example: "cmp_01JD8Z6W3B2C4D5E6F7G8H9J0K" }),
    name: z.string(),
    description: z.string().nullable(),
    campaign_type: z.enum(campaignTypes),
    status: z.enum(campaignStatuses),
    template_id: z.string().nullable(),
    template_version: z.number().int().nullable().openapi({ description: "The version the latest run pinned" }),
    category: z.string().nullable(),
    scheduled_at: z.string().nullable(),
    schedule: orNull(ScheduleSchema),
    list_id: z.string().nullable(),
    audience_filters: orNull(AudienceFilterSchema),
    send_window: orNull(SendWindowSchema),
    from_name: z.string().nullable(),
    from_email: z.string().nullable(),
    reply_to: z.string().nullable(),
    template_context: z.record(z.string(), z.unknown()),
    sending_pool_id: z.string().nullable(),
    sending_identity_id: z.string().nullable(),
    routing_config: z
      .object({
        strategy: z.enum(routingStrategies),
        preferred_providers: z.array(z.string()).optional(),
        fallback_enabled: z.boolean().optional(),
      })
      .nullable(),
    send_rate_per_minute: z.number().int().nullable(),
    tracking_enabled: z.boolean(),
    current_run_id: z.string().nullable().openapi({ description: "The run being sent or paused now" }),
    run_count: z.number().int(),
    ...StatsSchema,
    delivered_count: z.number().int(),
    open_count: z.number().int(),
    unique_open_count: z.number().int(),
    click_count: z.number().int(),
    unique_click_count: z.number().int(),
    bounce_count: z.number().int(),
    unsubscribe_count: z.number().int(),
    complaint_count: z.number().int(),
    started_at: z.string().nullable(),
    completed_at: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("EmailCampaign");

export const CampaignListQuerySchema = z.object({
  status: z
    .enum(campaignStatuses)
    .optional()
    .openapi({ param: { name: "status", in: "query" } }),
  campaign_type: z
    .enum(campaignTypes)
    .optional()
    .openapi({ param: { name: "campaign_type", in: "query" } }),
});

export const CampaignParamsSchema = WorkspaceParamsSchema.extend({
  campaign_id: z
    .string()
    .min(1)
    .openapi({ param: { name: "campaign_id", in: "path" }, example: "cmp_01JD8Z6W3B2C4D5E6F7G8H9J0K" }),
});

export const RunParamsSchema = CampaignParamsSchema.extend({
  run_id: z
    .string()
    .min(1)
    .openapi({ param: { name: "run_id", in: "path" }, example: "run_01JD8Z6W3B2C4D5E6F7G8H9J0K" }),
});

export const RecipientParamsSchema = CampaignParamsSchema.extend({
  recipient_id: z
    .string()
    .min(1)
    .openapi({ param: { name: "recipient_id", in: "path" }, example: "rcp_01JD8Z6W3B2C4D5E6F7G8H9J0K" }),
});

export const RecipientListQuerySchema = z.object({
  status: z
    .enum(recipientStatuses)
    .optional()
    .openapi({ param: { name: "status", in: "query" } }),
  run_id: z
    .string()
    .min(1)
    .max(64)
    .optional()
    .openapi({ param: { name: "run_id", in: "query" }, description: "Only this run's recipients" }),
});

export const RecipientSchema = z
  .object({
    id: z.string(),
    run_id: z.string().nullable().openapi({ description: "Null for a triggered send" }),
    subscriber_id: z.string().nullable(),
    email: z.string(),
    recipient_name: z.string().nullable(),
    status: z.enum(recipientStatuses),
    failure_reason: z
      .string()
      .nullable()
      .openapi({ description: "Why it was skipped or failed: a short code such as suppressed, opted_out or cancelled" }),
    failure_detail: z.string().nullable(),
    provider_id: z.string().nullable(),
    sending_domain_id: z.string().nullable(),
    sending_identity_id: z.string().nullable(),
    provider_message_id: z.string().nullable(),
    attempts: z.number().int(),
    sent_at: z.string().nullable(),
    delivered_at: z.string().nullable(),
    opened_at: z.string().nullable(),
    clicked_at: z.string().nullable(),
    bounced_at: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("CampaignRecipient");

export const RunSchema = z
  .object({
    id: z.string(),
    campaign_id: z.string(),
    run_number: z.number().int(),
    status: z.enum(campaignRunStatuses),
    template_id: z.string(),
    template_version: z.number().int().openapi({ description: "The template version this run sends" }),
    scheduled_for: z.string(),
    fanout_completed_at: z.string().nullable().openapi({ description: "When every recipient of the run had been written" }),
    ...StatsSchema,
    started_at: z.string(),
    completed_at: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("CampaignRun");

type CampaignResponse = z.infer<typeof CampaignSchema>;

export const toCampaignResponse = (c: EmailCampaign): CampaignResponse => ({
  id: c.id,
  name: c.name,
  description: c.description,
  campaign_type: c.campaign_type,
  status: c.status,
  template_id: c.template_id,
  template_version: c.template_version,
  category: c.category_slug,
  scheduled_at: c.scheduled_at,
  schedule: c.recurrence_cron && c.recurrence_timezone ? { cron: c.recurrence_cron, timezone: c.recurrence_timezone } : null,
  list_id: c.list_id,
  audience_filters: c.audience_filters as CampaignResponse["audience_filters"],
  send_window: c.send_window,
  from_name: c.from_name,
  from_email: c.from_email,
  reply_to: c.reply_to,
  template_context: c.template_context,
  sending_pool_id: c.sending_pool_id,
  sending_identity_id: c.sending_identity_id,
  routing_config: c.routing_config,
  send_rate_per_minute: c.send_rate_per_minute,
  tracking_enabled: c.tracking_enabled,
  current_run_id: c.current_run_id,
  run_count: c.run_count,
  total_recipients: c.total_recipients,
  sent_count: c.sent_count,
  failed_count: c.failed_count,
  unknown_count: c.unknown_count,
  delivered_count: c.delivered_count,
  open_count: c.open_count,
  unique_open_count: c.unique_open_count,
  click_count: c.click_count,
  unique_click_count: c.unique_click_count,
  bounce_count: c.bounce_count,
  unsubscribe_count: c.unsubscribe_count,
  complaint_count: c.complaint_count,
  started_at: c.started_at,
  completed_at: c.completed_at,
  created_at: c.created_at,
  updated_at: c.updated_at,
});

export const toRecipientResponse = (r: CampaignRecipient): z.infer<typeof RecipientSchema> => ({
  id: r.id,
  run_id: r.run_id,
  subscriber_id: r.subscriber_id,
  email: r.email,
  recipient_name: r.recipient_name,
  status: r.status,
  failure_reason: r.failure_reason,
  failure_detail: r.failure_detail,
  provider_id: r.provider_id,
  sending_domain_id: r.sending_domain_id,
  sending_identity_id: r.sending_identity_id,
  provider_message_id: r.provider_message_id,
  attempts: r.attempts,
  sent_at: r.sent_at,
  delivered_at: r.delivered_at,
  opened_at: r.opened_at,
  clicked_at: r.clicked_at,
  bounced_at: r.bounced_at,
  created_at: r.created_at,
  updated_at: r.updated_at,
});

export const toRunResponse = (r: CampaignRun): z.infer<typeof RunSchema> => ({
  id: r.id,
  campaign_id: r.campaign_id,
  run_number: r.run_number,
  status: r.status,
  template_id: r.template_id,
  template_version: r.template_version,
  scheduled_for: r.scheduled_for,
  fanout_completed_at: r.fanout_completed_at,
  total_recipients: r.total_recipients,
  sent_count: r.sent_count,
  failed_count: r.failed_count,
  unknown_count: r.unknown_count,
  started_at: r.started_at,
  completed_at: r.completed_at,
  created_at: r.created_at,
  updated_at: r.updated_at,
});
