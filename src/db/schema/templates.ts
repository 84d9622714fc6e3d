import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { createdAt, id, updatedAt } from "./columns";
import { templateCategories, templateTypes } from "./enums";
import { workspaceId } from "./workspaces";

export interface TemplateVariable {
  name: string;
  type: "string" | "number" | "boolean" | "date" | "list" | "object";
  required: boolean;
  default?: unknown;
  description?: string;
}

export const emailTemplates = sqliteTable(
  "email_templates",
  {
    id: id(),
    workspace_id: workspaceId(),
    name: text().notNull(),
    slug: text().notNull(),
    category: text({ enum: templateCategories }).notNull().default("general"),
    template_type: text({ enum: templateTypes }).notNull().default("code"),
    subject_template: text().notNull(),
    body_html: text().notNull().default(""),
    body_text: text(),
    preview_text: text(),
    variables: text({ mode: "json" }).$type<TemplateVariable[]>().notNull().default([]),
    visual_definition: text({ mode: "json" }).$type<Record<string, unknown>>(),
    is_active: integer({ mode: "boolean" }).notNull().default(true),
    version: integer().notNull().default(1),
    created_at: createdAt(),
    updated_at: updatedAt(),
  },
  (t) => [uniqueIndex("email_templates_workspace_slug_idx").on(t.workspace_id, t.slug)],
);

/** Every content version of a template, so a campaign can pin and later show exactly what it sent. */
export const emailTemplateVersions = sqliteTable(
  "email_template_versions",
  {
    id: id(),
    workspace_id: workspaceId(),
    template_id: text()
      .notNull()
      .references(() => emailTemplates.id, { onDelete: "cascade" }),
    version: integer().notNull(),
    subject_template: text().notNull(),
    body_html: text().notNull(),
    body_text: text(),
    preview_text: text(),
    variables: text({ mode: "json" }).$type<TemplateVariable[]>().notNull(),
    visual_definition: text({ mode: "json" }).$type<Record<string, unknown>>(),
    created_at: createdAt(),
  },
  (t) => [
    uniqueIndex("email_template_versions_template_version_idx").on(t.template_id, t.version),
    index("email_template_versions_workspace_idx").on(t.workspace_id),
  ],
);

export type EmailTemplate = typeof emailTemplates.$inferSelect;
