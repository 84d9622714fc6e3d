import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { createdAt, id } from "./columns";
import { bounceTypes, eventTypes, providerTypes } from "./enums";
import { workspaceId } from "./workspaces";

/** The raw audit of every provider webhook event, deduplicated on the provider's own event id. */
export const providerEventLogs = sqliteTable(
  "provider_event_logs",
  {
    id: id(),
    workspace_id: workspaceId(),
    provider_id: text().notNull(),
    provider_type: text({ enum: providerTypes }).notNull(),
    provider_event_id: text().notNull(),
    event_type: text({ enum: eventTypes }).notNull(),
    bounce_type: text({ enum: bounceTypes }),
    provider_message_id: text(),
    recipient_email: text(),
    campaign_id: text(),
    recipient_id: text(),
    reason: text(),
    payload: text({ mode: "json" }).$type<unknown>().notNull(),
    occurred_at: text().notNull(),
    received_at: createdAt(),
  },
  (t) => [
    uniqueIndex("provider_event_logs_provider_event_idx").on(t.provider_id, t.provider_event_id),
    index("provider_event_logs_message_idx").on(t.provider_message_id),
    index("provider_event_logs_campaign_idx").on(t.campaign_id, t.occurred_at),
  ],
);

/** Opens and clicks recorded at the edge from signed pixel and link tokens. */
export const trackingEvents = sqliteTable(
  "tracking_events",
  {
    id: id(),
    workspace_id: workspaceId(),
    campaign_id: text().notNull(),
    recipient_id: text().notNull(),
    subscriber_id: text(),
    event_type: text({ enum: eventTypes }).notNull(),
    url: text(),
    user_agent: text(),
    device_type: text(),
    email_client: text(),
    ip_country: text(),
    is_machine_open: integer({ mode: "boolean" }).notNull().default(false),
    occurred_at: text().notNull(),
  },
  (t) => [
    index("tracking_events_campaign_time_idx").on(t.campaign_id, t.occurred_at),
    index("tracking_events_subscriber_idx").on(t.workspace_id, t.subscriber_id, t.event_type, t.occurred_at),
  ],
);

/** What the capture provider would have sent: each whole message, for people and tests to read. */
export const capturedMessages = sqliteTable(
  "captured_messages",
  {
    id: id(),
    workspace_id: workspaceId(),
    provider_id: text().notNull(),
    /** Our Message-ID (no angle brackets): also the provider message id the recipient records. */
    message_id: text().notNull(),
    campaign_id: text(),
    recipient_id: text(),
    from_email: text().notNull(),
    to_email: text().notNull(),
    subject: text().notNull(),
    raw: text().notNull(),
    size_bytes: integer().notNull(),
    created_at: createdAt(),
  },
  (t) => [index("captured_messages_provider_idx").on(t.provider_id, t.id), uniqueIndex("captured_messages_message_idx").on(t.message_id)],
);
