import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { createdAt, id } from "./columns";
import { bounceTypes, eventTypes, providerTypes, trafficClasses } from "./enums";
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
    index("provider_event_logs_campaign_received_idx").on(t.campaign_id, t.received_at),
    index("provider_event_logs_received_idx").on(t.received_at),
    index("provider_event_logs_recipient_idx").on(t.recipient_id),
  ],
);

/**
 * Opens and clicks recorded at the edge from signed pixel and link tokens. The id is the one the edge gave the
 * hit, so a redelivered queue message inserts nothing. The `first_*` flags mark the event that made a recipient
 * count once in a unique figure, so rollups can sum uniques hour by hour.
 */
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
    /** The link's position among the message's rewritten links (0-based); null for opens. */
    link_index: integer(),
    user_agent: text(),
    device_type: text(),
    os: text(),
    email_client: text(),
    ip_country: text(),
    traffic_class: text({ enum: trafficClasses }).notNull().default("human"),
    /** Which heuristic classified a proxy or bot hit (documented in docs/tracking.md). */
    traffic_reason: text(),
    /** First open (or click) of this recipient in this campaign; first_human_* the same among human hits. */
    first_of_kind: integer({ mode: "boolean" }).notNull().default(false),
    first_human_of_kind: integer({ mode: "boolean" }).notNull().default(false),
    /** First click of this recipient on this URL (unique clickers per link). */
    first_for_link: integer({ mode: "boolean" }).notNull().default(false),
    first_human_for_link: integer({ mode: "boolean" }).notNull().default(false),
    occurred_at: text().notNull(),
    /**
     * When the row was written. The analytics rollup moves by it rather than by occurred_at, so an event that
     * arrives late (a provider retrying its webhook for hours) is still rolled up, into the hour it occurred.
     */
    received_at: text(),
  },
  (t) => [
    index("tracking_events_campaign_received_idx").on(t.campaign_id, t.received_at),
    index("tracking_events_subscriber_idx").on(t.workspace_id, t.subscriber_id, t.event_type, t.occurred_at),
    index("tracking_events_recipient_idx").on(t.recipient_id, t.event_type),
    index("tracking_events_received_idx").on(t.received_at),
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
