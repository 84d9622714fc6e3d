import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { createdAt, id, timestamp, updatedAt } from "./columns";
import { campaignRunStatuses, campaignStatuses, campaignTypes, recipientStatuses, type routingStrategies } from "./enums";
import { emailTemplates } from "./templates";
import { workspaceId } from "./workspaces";

/** A daily window, "HH:MM" local times; `end` before `start` crosses midnight. "subscriber" = each subscriber's own timezone. */
export interface SendWindow {
  start: string;
  end: string;
  timezone: string;
}

export interface RoutingConfig {
  strategy: (typeof routingStrategies)[number];
  preferred_providers?: string[];
  fallback_enabled?: boolean;
}

const counter = () => integer().notNull().default(0);

export const emailCampaigns = sqliteTable(
  "email_campaigns",
  {
    id: id(),
    workspace_id: workspaceId(),
    name: text().notNull(),
    description: text(),
    campaign_type: text({ enum: campaignTypes }).notNull().default("one_time"),
    status: text({ enum: campaignStatuses }).notNull().default("draft"),
    template_id: text().references(() => emailTemplates.id, { onDelete: "set null" }),
    template_version: integer(),
    category_slug: text(),
    scheduled_at: text(),
    recurrence_cron: text(),
    /** IANA timezone the cron of a recurring campaign is read in. */
    recurrence_timezone: text(),
    list_id: text(),
    audience_filters: text({ mode: "json" }).$type<Record<string, unknown>>(),
    send_window: text({ mode: "json" }).$type<SendWindow>(),
    from_name: text(),
    from_email: text(),
    reply_to: text(),
    template_context: text({ mode: "json" }).$type<Record<string, unknown>>().notNull().default({}),
    sending_pool_id: text(),
    sending_identity_id: text(),
    routing_config: text({ mode: "json" }).$type<RoutingConfig>(),
    /** Null: the CAMPAIGN_SEND_RATE_PER_MINUTE default. */
    send_rate_per_minute: integer(),
    /** The run being sent (or paused) now; null between runs. */
    current_run_id: text(),
    run_count: integer().notNull().default(0),
    total_recipients: counter(),
    sent_count: counter(),
    delivered_count: counter(),
    open_count: counter(),
    unique_open_count: counter(),
    click_count: counter(),
    unique_click_count: counter(),
    bounce_count: counter(),
    unsubscribe_count: counter(),
    complaint_count: counter(),
    /** Opens and clicks by people only (neither mail-provider proxies nor bots); the plain counts are totals. */
    human_open_count: counter(),
    human_unique_open_count: counter(),
    human_click_count: counter(),
    human_unique_click_count: counter(),
    /** Whether sends of this campaign carry the open pixel and rewritten links (the provider's tracking_enabled too). */
    tracking_enabled: integer({ mode: "boolean" }).notNull().default(true),
    /** The onboarding flow that made this triggered campaign to account one of its email steps, if one did. */
    onboarding_flow_id: text(),
    failed_count: counter(),
    unknown_count: counter(),
    started_at: timestamp(),
    completed_at: timestamp(),
    created_at: createdAt(),
    updated_at: updatedAt(),
  },
  (t) => [index("email_campaigns_workspace_idx").on(t.workspace_id, t.id), index("email_campaigns_due_idx").on(t.status, t.scheduled_at)],
);

/**
 * One sending of a campaign to its audience: a one-time campaign has one run, a recurring campaign one per
 * occurrence. Recipients, counters and the pinned template version belong to the run.
 */
export const campaignRuns = sqliteTable(
  "campaign_runs",
  {
    id: id(),
    workspace_id: workspaceId(),
    campaign_id: text()
      .notNull()
      .references(() => emailCampaigns.id, { onDelete: "cascade" }),
    run_number: integer().notNull(),
    status: text({ enum: campaignRunStatuses }).notNull().default("sending"),
    template_id: text().notNull(),
    template_version: integer().notNull(),
    /** When the run was due (its scheduled time, or when it was started by hand). */
    scheduled_for: text().notNull(),
    /** Set once the whole audience has been walked and every recipient row written. */
    fanout_completed_at: timestamp(),
    total_recipients: counter(),
    sent_count: counter(),
    failed_count: counter(),
    unknown_count: counter(),
    started_at: text().notNull(),
    completed_at: timestamp(),
    created_at: createdAt(),
    updated_at: updatedAt(),
  },
  (t) => [uniqueIndex("campaign_runs_campaign_number_idx").on(t.campaign_id, t.run_number)],
);

export const campaignRecipients = sqliteTable(
  "campaign_recipients",
  {
    id: id(),
    workspace_id: workspaceId(),
    campaign_id: text()
      .notNull()
      .references(() => emailCampaigns.id, { onDelete: "cascade" }),
    /** Null for a triggered send, which belongs to no run. */
    run_id: text(),
    record_id: text(),
    subscriber_id: text(),
    email: text().notNull(),
    recipient_name: text(),
    context: text({ mode: "json" }).$type<Record<string, unknown>>().notNull().default({}),
    status: text({ enum: recipientStatuses }).notNull().default("pending"),
    /** A short code (skip reasons, "cancelled", "provider_rejected"…); failure_detail says more. */
    failure_reason: text(),
    failure_detail: text(),
    provider_id: text(),
    provider_message_id: text(),
    sending_domain_id: text(),
    sending_identity_id: text(),
    /** The IANA timezone the send window is read in for this recipient. */
    send_timezone: text(),
    attempts: integer().notNull().default(0),
    /** Providers that failed this recipient, so a failover does not pick them again. */
    failed_provider_ids: text({ mode: "json" }).$type<string[]>().notNull().default([]),
    /** When a send message for this recipient was last put on the queue; null = not in flight. */
    enqueued_at: timestamp(),
    /** When a deferred recipient (retry, closed window) may be tried again. */
    retry_at: timestamp(),
    /** When the current `sending` claim was taken: a claim older than the claim timeout becomes `unknown`. */
    claimed_at: timestamp(),
    open_count: counter(),
    click_count: counter(),
    sent_at: timestamp(),
    delivered_at: timestamp(),
    opened_at: timestamp(),
    clicked_at: timestamp(),
    bounced_at: timestamp(),
    complained_at: timestamp(),
    unsubscribed_at: timestamp(),
    /** The first open and click by a person (not a proxy or bot): what the human unique counts count. */
    human_opened_at: timestamp(),
    human_clicked_at: timestamp(),
    created_at: createdAt(),
    updated_at: updatedAt(),
  },
  (t) => [
    index("campaign_recipients_campaign_status_idx").on(t.campaign_id, t.status),
    // A domain's complaint rate over the last 24 h: its sends and its complaints in that time.
    index("campaign_recipients_domain_sent_idx").on(t.sending_domain_id, t.sent_at),
    index("campaign_recipients_domain_complained_idx").on(t.sending_domain_id, t.complained_at).where(sql`${t.complained_at} is not null`),
    // Triggered sends have no run (NULL never collides), so one address can be triggered many times.
    uniqueIndex("campaign_recipients_run_email_idx").on(t.campaign_id, t.run_id, t.email),
    index("campaign_recipients_run_status_idx").on(t.run_id, t.status, t.id),
    index("campaign_recipients_provider_message_idx").on(t.provider_message_id),
    index("campaign_recipients_subscriber_idx").on(t.workspace_id, t.subscriber_id),
    // The cross-campaign suppression check looks addresses up among a workspace's bounces and complaints only;
    // without this it read every recipient the workspace ever had, once per 90 subscribers of a fan-out.
    index("campaign_recipients_bounced_email_idx").on(t.workspace_id, t.email).where(sql`${t.status} in ('bounced', 'complained')`),
  ],
);

/** A triggered send's Idempotency-Key: a repeat of the key returns the recipient the first request made. */
export const campaignTriggerKeys = sqliteTable(
  "campaign_trigger_keys",
  {
    campaign_id: text()
      .notNull()
      .references(() => emailCampaigns.id, { onDelete: "cascade" }),
    idempotency_key: text().notNull(),
    workspace_id: workspaceId(),
    recipient_id: text().notNull(),
    request_hash: text().notNull(),
    created_at: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.campaign_id, t.idempotency_key] })],
);

export type EmailCampaign = typeof emailCampaigns.$inferSelect;
export type CampaignRecipient = typeof campaignRecipients.$inferSelect;
export type CampaignRun = typeof campaignRuns.$inferSelect;
