import { z } from "@hono/zod-openapi";
import type { EmailTemplate } from "../../db/schema";
import { templateCategories, templateTypes } from "../../db/schema/enums";
import { DesignSchema } from "../../domain/builder/design-schema";
import type { TemplateVersion } from "../../domain/templates/templates";
import { TemplateVariableSchema } from "../../domain/templates/variables";
import { orNull } from "../../lib/openapi";
import { SLUG_MESSAGE, SLUG_PATTERN } from "../../lib/slug";
import { WorkspaceParamsSchema } from "../workspaces/workspaces.schemas";

export const MAX_HTML = 512 * 1024;

const variables = z
  .array(TemplateVariableSchema)
  .max(100)
  .refine((vars) => new Set(vars.map((v) => v.name)).size === vars.length, "variable names must be unique");

const fields = {
  name: z.string().trim().min(1).max(200).openapi({ example: "Welcome email" }),
  slug: z.string().regex(SLUG_PATTERN, SLUG_MESSAGE).openapi({ example: "welcome" }),
  category: z.enum(templateCategories).openapi({ description: "What the email is about (not how it is sent)" }),
  template_type: z.enum(templateTypes).openapi({ description: "`code`: hand-written HTML; `visual`: compiled from visual_definition" }),
  subject_template: z.string().min(1).max(1000).openapi({ example: "Welcome, {{ recipient_name }}!" }),
  body_html: z.string().max(MAX_HTML).openapi({ example: "<h1>Welcome, {{ recipient_name }}!</h1>" }),
  body_text: z.string().max(MAX_HTML).nullable().openapi({ description: "Generated from the HTML when null" }),
  preview_text: z.string().max(500).nullable().openapi({ description: "Inbox preview line, sent as a hidden preheader" }),
  variables,
  visual_definition: orNull(DesignSchema),
  is_active: z.boolean(),
};

export const TemplateSchema = z
  .object({
    id: z.string().openapi({ example: "tpl_01JD8Z6W3B2C4D5E6F7G8H9J0K" }),
    ...fields,
    slug: z.string(),
    body_html: z.string(),
    version: z.number().int().openapi({ description: "Bumped by every change of content" }),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("EmailTemplate");

export const CreateTemplateSchema = z
  .object({
    name: fields.name,
    slug: fields.slug.optional(),
    category: fields.category.default("general"),
    template_type: fields.template_type.default("code"),
    subject_template: fields.subject_template,
    body_html: fields.body_html.optional(),
    body_text: fields.body_text.optional(),
    preview_text: fields.preview_text.optional(),
    variables: fields.variables.default([]),
    visual_definition: fields.visual_definition.optional(),
    is_active: fields.is_active.default(true),
  })
  .strict()
  .superRefine((t, ctx) => {
    if (t.template_type === "visual") {
      if (!t.visual_definition)
        ctx.addIssue({ code: "custom", path: ["visual_definition"], message: "a visual template needs a visual_definition" });
      if (t.body_html !== undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["body_html"],
          message: "a visual template's body_html is compiled from visual_definition; leave it out",
        });
      }
    } else if (!t.body_html?.trim()) {
      ctx.addIssue({ code: "custom", path: ["body_html"], message: "a code template needs body_html" });
    }
  })
  .openapi("CreateEmailTemplate");

export const UpdateTemplateSchema = z
  .object({
    name: fields.name,
    slug: fields.slug,
    category: fields.category,
    template_type: fields.template_type,
    subject_template: fields.subject_template,
    body_html: fields.body_html.min(1),
    body_text: fields.body_text,
    preview_text: fields.preview_text,
    variables: fields.variables,
    visual_definition: fields.visual_definition,
    is_active: fields.is_active,
  })
  .partial()
  .strict()
  .openapi("UpdateEmailTemplate");

export const TemplateListQuerySchema = z.object({
  category: z
    .enum(templateCategories)
    .optional()
    .openapi({ param: { name: "category", in: "query" } }),
  template_type: z
    .enum(templateTypes)
    .optional()
    .openapi({ param: { name: "template_type", in: "query" } }),
  is_active: z
    .enum(["true", "false"])
    .transform((v) => v === "true")
    .optional()
    .openapi({ param: { name: "is_active", in: "query" }, type: "boolean" }),
});

export const TemplateParamsSchema = WorkspaceParamsSchema.extend({
  template_id: z
    .string()
    .min(1)
    .openapi({ param: { name: "template_id", in: "path" }, description: "Template id or slug", example: "welcome" }),
});

export const TemplateVersionParamsSchema = TemplateParamsSchema.extend({
  version: z.coerce
    .number()
    .int()
    .min(1)
    .openapi({ param: { name: "version", in: "path" }, type: "integer" }),
});

export const TemplateVersionSchema = z
  .object({
    template_id: z.string(),
    version: z.number().int(),
    subject_template: z.string(),
    body_html: z.string(),
    body_text: z.string().nullable(),
    preview_text: z.string().nullable(),
    variables: z.array(TemplateVariableSchema),
    visual_definition: orNull(DesignSchema),
    created_at: z.string(),
  })
  .openapi("EmailTemplateVersion");

export const PreviewRequestSchema = z
  .object({
    context: z
      .record(z.string(), z.unknown())
      .default({})
      .openapi({
        description:
          "Variables for this render; platform variables (unsubscribe_url, …) get sample values unless the template declares a default",
        example: { recipient_name: "Ada", has_trial: true },
      }),
  })
  .strict()
  .openapi("TemplatePreviewRequest");

export const PreviewSchema = z
  .object({
    subject: z.string(),
    html: z.string(),
    text: z.string(),
    preview_text: z.string().nullable(),
    missing_variables: z.array(z.string()).openapi({ description: "Required variables with no value" }),
    warnings: z.array(
      z.object({
        code: z.enum([
          "missing_unsubscribe_link",
          "missing_postal_address",
          "image_without_alt",
          "html_too_large",
          "undeclared_variable",
          "non_http_link",
          "missing_required_variable",
        ]),
        message: z.string(),
      }),
    ),
  })
  .openapi("TemplatePreview");

export const toTemplateResponse = (t: EmailTemplate): z.infer<typeof TemplateSchema> => ({
  id: t.id,
  name: t.name,
  slug: t.slug,
  category: t.category,
  template_type: t.template_type,
  subject_template: t.subject_template,
  body_html: t.body_html,
  body_text: t.body_text,
  preview_text: t.preview_text,
  variables: t.variables as z.infer<typeof TemplateSchema>["variables"],
  visual_definition: t.visual_definition as z.infer<typeof TemplateSchema>["visual_definition"],
  is_active: t.is_active,
  version: t.version,
  created_at: t.created_at,
  updated_at: t.updated_at,
});

export const toVersionResponse = (v: TemplateVersion): z.infer<typeof TemplateVersionSchema> => ({
  template_id: v.template_id,
  version: v.version,
  subject_template: v.subject_template,
  body_html: v.body_html,
  body_text: v.body_text,
  preview_text: v.preview_text,
  variables: v.variables as z.infer<typeof TemplateVersionSchema>["variables"],
  visual_definition: v.visual_definition as z.infer<typeof TemplateVersionSchema>["visual_definition"],
  created_at: v.created_at,
});
