import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { createdAt, id, timestamp, updatedAt } from "./columns";
import { subscriberStatuses, subscriptionChangeActions, subscriptionFrequencies, suppressionReasons, unsubscribeSources } from "./enums";
import { workspaceId } from "./workspaces";

export const subscribers = sqliteTable(
  "subscribers",
  {
    id: id(),
    workspace_id: workspaceId(),
    email: text().notNull(),
    name: text(),
    status: text({ enum: subscriberStatuses }).notNull().default("active"),
    /** Random per-subscriber secret bound into the signed preference-center token; rotating it revokes old links. */
    preference_token: text().notNull(),
    attributes: text({ mode: "json" }).$type<Record<string, unknown>>().notNull().default({}),
    /** The user's id in the product that sends Flarecast its events (`user.id`); events find the subscriber by it. */
    external_id: text(),
    /** How often the subscriber wants mail; sends beyond it are skipped with reason frequency_cap. */
    frequency: text({ enum: subscriptionFrequencies }).notNull().default("immediate"),
    unsubscribed_at: timestamp(),
    unsubscribe_source: text({ enum: unsubscribeSources }),
    bounced_at: timestamp(),
    complained_at: timestamp(),
    created_at: createdAt(),
    updated_at: updatedAt(),
  },
  (t) => [
    uniqueIndex("subscribers_workspace_email_idx").on(t.workspace_id, t.email),
    index("subscribers_workspace_status_idx").on(t.workspace_id, t.status),
    // Keyset pages and the audience preview's sample walk a workspace's subscribers in id order.
    index("subscribers_workspace_id_idx").on(t.workspace_id, t.id),
    uniqueIndex("subscribers_workspace_external_id_idx").on(t.workspace_id, t.external_id).where(sql`external_id is not null`),
  ],
);

export const subscriberLists = sqliteTable(
  "subscriber_lists",
  {
    id: id(),
    workspace_id: workspaceId(),
    name: text().notNull(),
    description: text(),
    created_at: createdAt(),
    updated_at: updatedAt(),
  },
  (t) => [index("subscriber_lists_workspace_idx").on(t.workspace_id, t.id)],
);

export const listMemberships = sqliteTable(
  "list_memberships",
  {
    workspace_id: workspaceId(),
    list_id: text()
      .notNull()
      .references(() => subscriberLists.id, { onDelete: "cascade" }),
    subscriber_id: text()
      .notNull()
      .references(() => subscribers.id, { onDelete: "cascade" }),
    created_at: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.list_id, t.subscriber_id] }), index("list_memberships_subscriber_idx").on(t.subscriber_id)],
);

/** Workspace-defined preference categories such as product_updates, marketing, tips_and_tricks. */
export const categories = sqliteTable(
  "categories",
  {
    id: id(),
    workspace_id: workspaceId(),
    slug: text().notNull(),
    name: text().notNull(),
    description: text(),
    created_at: createdAt(),
    updated_at: updatedAt(),
  },
  (t) => [uniqueIndex("categories_workspace_slug_idx").on(t.workspace_id, t.slug)],
);

export const subscriberCategoryPreferences = sqliteTable(
  "subscriber_category_preferences",
  {
    workspace_id: workspaceId(),
    subscriber_id: text()
      .notNull()
      .references(() => subscribers.id, { onDelete: "cascade" }),
    category_id: text()
      .notNull()
      .references(() => categories.id, { onDelete: "cascade" }),
    subscribed: integer({ mode: "boolean" }).notNull().default(true),
    updated_at: updatedAt(),
  },
  (t) => [primaryKey({ columns: [t.subscriber_id, t.category_id] })],
);

/** Audit trail of every unsubscribe, resubscribe and preference change, with its UnsubscribeSource. */
export const subscriptionChanges = sqliteTable(
  "subscription_changes",
  {
    id: id(),
    workspace_id: workspaceId(),
    subscriber_id: text()
      .notNull()
      .references(() => subscribers.id, { onDelete: "cascade" }),
    campaign_id: text(),
    action: text({ enum: subscriptionChangeActions }).notNull(),
    source: text({ enum: unsubscribeSources }).notNull(),
    details: text({ mode: "json" }).$type<Record<string, unknown>>(),
    created_at: createdAt(),
  },
  (t) => [index("subscription_changes_subscriber_idx").on(t.subscriber_id, t.created_at)],
);

/**
 * The workspace's blocklist: an address, a whole domain, or (after a GDPR erase) only the address's hash.
 * Never consulted across workspaces.
 */
export const suppressions = sqliteTable(
  "suppressions",
  {
    id: id(),
    workspace_id: workspaceId(),
    email: text(),
    domain: text(),
    email_hash: text(),
    reason: text({ enum: suppressionReasons }).notNull(),
    source_campaign_id: text(),
    note: text(),
    created_at: createdAt(),
  },
  (t) => [
    uniqueIndex("suppressions_workspace_email_idx").on(t.workspace_id, t.email),
    uniqueIndex("suppressions_workspace_domain_idx").on(t.workspace_id, t.domain),
    uniqueIndex("suppressions_workspace_hash_idx").on(t.workspace_id, t.email_hash),
  ],
);

export const importStatuses = ["queued", "processing", "completed", "failed"] as const;

/** A CSV import into a list: parsed as the request streams in, processed in chunks by the import queue's consumer. */
export const listImports = sqliteTable(
  "list_imports",
  {
    id: id(),
    workspace_id: workspaceId(),
    list_id: text()
      .notNull()
      .references(() => subscriberLists.id, { onDelete: "cascade" }),
    status: text({ enum: importStatuses }).notNull().default("queued"),
    total_rows: integer().notNull().default(0),
    processed_rows: integer().notNull().default(0),
    created_count: integer().notNull().default(0),
    updated_count: integer().notNull().default(0),
    skipped_count: integer().notNull().default(0),
    error_count: integer().notNull().default(0),
    chunks_total: integer().notNull().default(0),
    chunks_done: integer().notNull().default(0),
    created_at: createdAt(),
    updated_at: updatedAt(),
    completed_at: timestamp(),
  },
  (t) => [index("list_imports_workspace_idx").on(t.workspace_id, t.id)],
);

/** One row per CSV row that was not imported: its row number, the offending value and why. */
export const listImportErrors = sqliteTable(
  "list_import_errors",
  {
    workspace_id: workspaceId(),
    import_id: text()
      .notNull()
      .references(() => listImports.id, { onDelete: "cascade" }),
    row_number: integer().notNull(),
    value: text(),
    reason: text().notNull(),
  },
  (t) => [primaryKey({ columns: [t.import_id, t.row_number] })],
);

export type Subscriber = typeof subscribers.$inferSelect;
export type SubscriberList = typeof subscriberLists.$inferSelect;
export type Category = typeof categories.$inferSelect;
export type Suppression = typeof suppressions.$inferSelect;
