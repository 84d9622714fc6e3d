import { index, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { createdAt, id, timestamp, updatedAt } from "./columns";

export interface WorkspaceSettings {
  warming_thresholds?: {
    max_bounce_rate?: number;
    max_complaint_rate?: number;
    min_delivery_rate?: number;
  };
}

export const workspaces = sqliteTable("workspaces", {
  id: id(),
  name: text().notNull(),
  slug: text().notNull().unique(),
  timezone: text().notNull(),
  postal_address: text(),
  settings: text({ mode: "json" }).$type<WorkspaceSettings>().notNull().default({}),
  created_at: createdAt(),
  updated_at: updatedAt(),
});

/** Every tenant-owned table carries this column; deleting a workspace removes all of its rows. */
export const workspaceId = () =>
  text()
    .notNull()
    .references(() => workspaces.id, { onDelete: "cascade" });

export const apiKeys = sqliteTable(
  "api_keys",
  {
    id: id(),
    workspace_id: workspaceId(),
    name: text().notNull(),
    prefix: text().notNull(),
    key_hash: text().notNull().unique(),
    last_used_at: timestamp(),
    revoked_at: timestamp(),
    created_at: createdAt(),
  },
  (t) => [index("api_keys_workspace_idx").on(t.workspace_id, t.id)],
);

export type Workspace = typeof workspaces.$inferSelect;
export type ApiKey = typeof apiKeys.$inferSelect;
