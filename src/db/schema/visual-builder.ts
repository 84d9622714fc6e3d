import { index, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { createdAt, id, updatedAt } from "./columns";
import { emailTemplates } from "./templates";
import { workspaceId } from "./workspaces";

/** A workspace's custom block: a named, saved block tree with default props, usable in designs. */
export const visualBuilderBlocks = sqliteTable(
  "visual_builder_blocks",
  {
    id: id(),
    workspace_id: workspaceId(),
    name: text().notNull(),
    slug: text().notNull(),
    description: text(),
    definition: text({ mode: "json" }).$type<Record<string, unknown>>().notNull(),
    default_props: text({ mode: "json" }).$type<Record<string, unknown>>().notNull().default({}),
    created_at: createdAt(),
    updated_at: updatedAt(),
  },
  (t) => [uniqueIndex("visual_builder_blocks_workspace_slug_idx").on(t.workspace_id, t.slug)],
);

export const visualBuilderDesigns = sqliteTable(
  "visual_builder_designs",
  {
    id: id(),
    workspace_id: workspaceId(),
    name: text().notNull(),
    design: text({ mode: "json" }).$type<Record<string, unknown>>().notNull(),
    template_id: text().references(() => emailTemplates.id, { onDelete: "set null" }),
    created_at: createdAt(),
    updated_at: updatedAt(),
  },
  (t) => [index("visual_builder_designs_workspace_idx").on(t.workspace_id, t.id)],
);
