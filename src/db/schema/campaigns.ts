import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { createdAt, id, timestamp, updatedAt } from "./columns";
import { campaignStatuses, campaignTypes, recipientStatuses, type routingStrategies } from "./enums";
import { emailTemplates } from "./templates";
import { workspaceId } from "./workspaces";

export interface SendWindow {
  start: string;
  end: string;
  timezone: string;
  days?: number[];
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
    failed_count: counter(),
    started_at: timestamp(),
    completed_at: timestamp(),
    created_at: createdAt(),
    updated_at: updatedAt(),
  },
  (t) => [index("email_campaigns_workspace_idx").on(t.workspace_id, t.id), index("email_campaigns_due_idx").on(t.status, t.scheduled_at)],
);

export const campaignRecipients = sqliteTable(
  "campaign_recipients",
  {
    id: id(),
    workspace_id: workspaceId(),
    campaign_id: text()
      .notNull()
      .references(() => emailCampaigns.id, { onDelete: "cascade" }),
    record_id: text(),
    subscriber_id: text(),
    email: text().notNull(),
    recipient_name: text(),
    context: text({ mode: "json" }).$type<Record<string, unknown>>().notNull().default({}),
    status: text({ enum: recipientStatuses }).notNull().default("pending"),
    failure_reason: text(),
    provider_id: text(),
    provider_message_id: text(),
    sending_domain_id: text(),
    attempts: integer().notNull().default(0),
    open_count: counter(),
    click_count: counter(),
    sent_at: timestamp(),
    delivered_at: timestamp(),
    opened_at: timestamp(),
    clicked_at: timestamp(),
    bounced_at: timestamp(),
    created_at: createdAt(),
    updated_at: updatedAt(),
  },
  (t) => [
    index("campaign_recipients_campaign_status_idx").on(t.campaign_id, t.status),
    uniqueIndex("campaign_recipients_campaign_email_idx").on(t.campaign_id, t.email),
    index("campaign_recipients_provider_message_idx").on(t.provider_message_id),
    index("campaign_recipients_subscriber_idx").on(t.workspace_id, t.subscriber_id),
  ],
);

export type EmailCampaign = typeof emailCampaigns.$inferSelect;
export type CampaignRecipient = typeof campaignRecipients.$inferSelect;
