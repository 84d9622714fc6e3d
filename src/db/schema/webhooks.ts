import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { createdAt, id, timestamp, updatedAt } from "./columns";
import { webhookDeliveryStatuses } from "./enums";
import { workspaceId } from "./workspaces";

/** A workspace's endpoint for outgoing webhooks (Standard Webhooks signatures). */
export const webhookEndpoints = sqliteTable(
  "webhook_endpoints",
  {
    id: id(),
    workspace_id: workspaceId(),
    url: text().notNull(),
    description: text(),
    /** Event types wanted ("email.delivered", …); empty: all. */
    event_types: text({ mode: "json" }).$type<string[]>().notNull().default([]),
    enabled: integer({ mode: "boolean" }).notNull().default(true),
    /** AES-GCM sealed `whsec_…` secret. */
    secret: text().notNull(),
    /** The secret before the last rotation, still signing (as a second signature) until it expires. */
    previous_secret: text(),
    previous_secret_expires_at: timestamp(),
    created_at: createdAt(),
    updated_at: updatedAt(),
  },
  (t) => [index("webhook_endpoints_workspace_idx").on(t.workspace_id, t.id)],
);

/** One event to one endpoint; retried with back-off until it succeeds or its attempts run out. */
export const webhookDeliveries = sqliteTable(
  "webhook_deliveries",
  {
    /** Also the `webhook-id` header: the receiver's idempotency key. */
    id: id(),
    workspace_id: workspaceId(),
    endpoint_id: text().notNull(),
    event_type: text().notNull(),
    payload: text({ mode: "json" }).$type<unknown>().notNull(),
    status: text({ enum: webhookDeliveryStatuses }).notNull().default("pending"),
    attempts: integer().notNull().default(0),
    last_status_code: integer(),
    last_error: text(),
    next_attempt_at: timestamp(),
    delivered_at: timestamp(),
    created_at: createdAt(),
    updated_at: updatedAt(),
  },
  (t) => [index("webhook_deliveries_endpoint_idx").on(t.endpoint_id, t.id)],
);

export const webhookDeliveryAttempts = sqliteTable(
  "webhook_delivery_attempts",
  {
    id: id(),
    delivery_id: text().notNull(),
    workspace_id: workspaceId(),
    attempted_at: text().notNull(),
    status_code: integer(),
    error: text(),
    duration_ms: integer().notNull(),
  },
  (t) => [index("webhook_delivery_attempts_delivery_idx").on(t.delivery_id, t.attempted_at)],
);

/** Mailgun webhook tokens already accepted, refused if replayed within the freshness window. */
export const webhookReplayTokens = sqliteTable(
  "webhook_replay_tokens",
  {
    provider_id: text().notNull(),
    token: text().notNull(),
    seen_at: text().notNull(),
  },
  (t) => [primaryKey({ columns: [t.provider_id, t.token] }), index("webhook_replay_tokens_seen_idx").on(t.seen_at)],
);
