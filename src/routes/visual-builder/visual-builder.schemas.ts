import { z } from "@hono/zod-openapi";
import { templateCategories } from "../../db/schema/enums";
import type { CustomBlock } from "../../domain/builder/custom-blocks";
import { BlockSchema, blockTypes, DesignSchema, RootBlockSchema } from "../../domain/builder/design-schema";
import type { StoredDesign } from "../../domain/builder/saved-designs";
import { SLUG_MESSAGE, SLUG_PATTERN } from "../../lib/slug";
import { MAX_HTML } from "../templates/templates.schemas";
import { WorkspaceParamsSchema } from "../workspaces/workspaces.schemas";

export const BuiltInBlockSchema = z
  .object({
    type: z.enum(blockTypes as [string, ...string[]]),
    category: z.enum(["layout", "content", "rich", "dynamic", "custom"]),
    description: z.string(),
    children: z.string().nullable().openapi({ description: "What the block may hold; null for blocks without children" }),
    props_schema: z.record(z.string(), z.unknown()).openapi({ description: "JSON Schema of the block's props" }),
  })
  .openapi("BuiltInBlock");

export const CustomBlockSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    slug: z.string(),
    description: z.string().nullable(),
    definition: BlockSchema,
    default_props: z.record(z.string(), z.unknown()),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("CustomBlock");

export const BlockCatalogSchema = z
  .object({ built_in: z.array(BuiltInBlockSchema), custom: z.array(CustomBlockSchema) })
  .openapi("BlockCatalog");

export const CreateCustomBlockSchema = z
  .object({
    name: z.string().trim().min(1).max(200),
    slug: z.string().regex(SLUG_PATTERN, SLUG_MESSAGE).optional(),
    description: z.string().max(1000).nullable().optional(),
    definition: RootBlockSchema,
    default_props: z.record(z.string(), z.unknown()).default({}).openapi({ description: "Props applied to the definition's root block" }),
  })
  .strict()
  .openapi("CreateCustomBlock", {
    example: {
      name: "Promo banner",
      definition: { type: "hero", props: { title: "Spring sale", buttonText: "Shop now", buttonHref: "https://example.com/sale" } },
      default_props: { backgroundColor: "#b91c1c" },
    },
  });

export const StoredDesignSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    design: DesignSchema,
    template_id: z.string().nullable().openapi({ description: "The template last converted from this design" }),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("StoredDesign");

export const CreateDesignSchema = z
  .object({ name: z.string().trim().min(1).max(200), design: DesignSchema })
  .strict()
  .openapi("CreateDesign");

export const UpdateDesignSchema = z
  .object({ name: z.string().trim().min(1).max(200), design: DesignSchema })
  .partial()
  .strict()
  .openapi("UpdateDesign");

export const DesignParamsSchema = WorkspaceParamsSchema.extend({
  design_id: z.string().openapi({ param: { name: "design_id", in: "path" } }),
});

export const RenderRequestSchema = z
  .object({
    design: DesignSchema,
    context: z.record(z.string(), z.unknown()).default({}).openapi({ description: "Liquid variables for this render" }),
    preview_text: z.string().max(500).nullable().optional(),
  })
  .strict()
  .openapi("RenderDesignRequest");

export const RenderResultSchema = z
  .object({
    html: z.string().openapi({ description: "The email HTML, rendered with the context" }),
    template_html: z.string().openapi({ description: "The compiled template (Liquid not yet rendered), as stored in body_html" }),
  })
  .openapi("RenderedDesign");

export const ConvertToTemplateSchema = z
  .object({
    name: z.string().trim().min(1).max(200).optional().openapi({ description: "Defaults to the design's name" }),
    slug: z.string().regex(SLUG_PATTERN, SLUG_MESSAGE).optional(),
    category: z.enum(templateCategories).default("general"),
    subject_template: z.string().min(1).max(1000),
    preview_text: z.string().max(500).nullable().optional(),
  })
  .strict()
  .openapi("ConvertDesignToTemplate");

export const TemplateToDesignSchema = z
  .object({
    template_id: z.string().min(1).optional().openapi({ description: "A template's id or slug; its body_html is read" }),
    html: z.string().max(MAX_HTML).optional().openapi({ description: "HTML the builder compiled, e.g. a template's body_html" }),
  })
  .strict()
  .superRefine((body, ctx) => {
    if (body.template_id === undefined && body.html === undefined) {
      ctx.addIssue({ code: "custom", path: ["template_id"], message: "give template_id or html" });
    } else if (body.template_id !== undefined && body.html !== undefined) {
      ctx.addIssue({ code: "custom", path: ["html"], message: "give template_id or html, not both" });
    }
  })
  .openapi("TemplateToDesign", { example: { template_id: "spring-launch" } });

export const RecoveredDesignSchema = z
  .object({ design: DesignSchema.openapi({ description: "The design the HTML was compiled from, ready to edit and save" }) })
  .openapi("RecoveredDesign");

export const toCustomBlockResponse = (b: CustomBlock): z.infer<typeof CustomBlockSchema> => ({
  id: b.id,
  name: b.name,
  slug: b.slug,
  description: b.description,
  definition: b.definition as unknown as z.infer<typeof BlockSchema>,
  default_props: b.default_props,
  created_at: b.created_at,
  updated_at: b.updated_at,
});

export const toDesignResponse = (d: StoredDesign): z.infer<typeof StoredDesignSchema> => ({
  id: d.id,
  name: d.name,
  design: d.design as unknown as z.infer<typeof DesignSchema>,
  template_id: d.template_id,
  created_at: d.created_at,
  updated_at: d.updated_at,
});
