import type { RouteHandler } from "@hono/zod-openapi";
import { builtInBlocks } from "../../domain/builder/catalog";
import * as customBlocks from "../../domain/builder/custom-blocks";
import { recoverDesign } from "../../domain/builder/decompile";
import type { Design } from "../../domain/builder/design-schema";
import * as savedDesigns from "../../domain/builder/saved-designs";
import { invalidField, NotFoundError } from "../../domain/errors";
import { renderTemplate } from "../../domain/templates/render";
import { asTemplateValidationError } from "../../domain/templates/template-errors";
import * as templates from "../../domain/templates/templates";
import type { AppBindings } from "../../lib/create-app";
import { toTemplateResponse } from "../templates/templates.schemas";
import type * as routes from "./visual-builder.routes";
import { toCustomBlockResponse, toDesignResponse } from "./visual-builder.schemas";

export const listBlocks: RouteHandler<typeof routes.listBlocks, AppBindings> = async (c) => {
  const custom = await customBlocks.listCustomBlocks(c.var.db, c.var.workspace.id);
  return c.json({ built_in: builtInBlocks(), custom: custom.map(toCustomBlockResponse) }, 200);
};

export const createBlock: RouteHandler<typeof routes.createBlock, AppBindings> = async (c) => {
  const created = await customBlocks.createCustomBlock(c.var.db, c.var.workspace.id, c.req.valid("json"));
  return c.json(toCustomBlockResponse(created), 201);
};

export const listDesigns: RouteHandler<typeof routes.listDesigns, AppBindings> = async (c) => {
  const { limit, cursor } = c.req.valid("query");
  const page = await savedDesigns.listDesigns(c.var.db, c.var.workspace.id, limit, cursor);
  return c.json({ data: page.data.map(toDesignResponse), next_cursor: page.next_cursor }, 200);
};

export const createDesign: RouteHandler<typeof routes.createDesign, AppBindings> = async (c) => {
  const body = c.req.valid("json");
  await customBlocks.compileDesign(c.var.db, c.var.workspace.id, body.design, null, "design");
  return c.json(toDesignResponse(await savedDesigns.createDesign(c.var.db, c.var.workspace.id, body)), 201);
};

export const getDesign: RouteHandler<typeof routes.getDesign, AppBindings> = async (c) =>
  c.json(toDesignResponse(await savedDesigns.getDesign(c.var.db, c.var.workspace.id, c.req.valid("param").design_id)), 200);

export const updateDesign: RouteHandler<typeof routes.updateDesign, AppBindings> = async (c) => {
  const changes = c.req.valid("json");
  if (changes.design) await customBlocks.compileDesign(c.var.db, c.var.workspace.id, changes.design, null, "design");
  const updated = await savedDesigns.updateDesign(c.var.db, c.var.workspace.id, c.req.valid("param").design_id, changes);
  return c.json(toDesignResponse(updated), 200);
};

export const deleteDesign: RouteHandler<typeof routes.deleteDesign, AppBindings> = async (c) => {
  await savedDesigns.deleteDesign(c.var.db, c.var.workspace.id, c.req.valid("param").design_id);
  return c.body(null, 204);
};

export const renderDesign: RouteHandler<typeof routes.renderDesign, AppBindings> = async (c) => {
  const { design, context, preview_text } = c.req.valid("json");
  const template_html = await customBlocks.compileDesign(c.var.db, c.var.workspace.id, design, preview_text, "design");
  const content = { subject_template: "", body_html: template_html, body_text: "", preview_text: null, variables: [] };
  const rendered = await renderTemplate(content, context).catch((err: unknown) => {
    throw asTemplateValidationError(err, "visual");
  });
  return c.json({ html: rendered.html, template_html }, 200);
};

export const convertToTemplate: RouteHandler<typeof routes.convertToTemplate, AppBindings> = async (c) => {
  const { design_id } = c.req.valid("param");
  const body = c.req.valid("json");
  const stored = await savedDesigns.getDesign(c.var.db, c.var.workspace.id, design_id);
  const template = await templates.createTemplate(c.var.db, c.var.workspace.id, {
    name: body.name ?? stored.name,
    slug: body.slug,
    category: body.category,
    template_type: "visual",
    subject_template: body.subject_template,
    preview_text: body.preview_text ?? null,
    variables: [],
    visual_definition: stored.design as unknown as Design,
    is_active: true,
  });
  await savedDesigns.linkTemplate(c.var.db, c.var.workspace.id, design_id, template.id);
  return c.json(toTemplateResponse(template), 201);
};

export const templateToDesign: RouteHandler<typeof routes.templateToDesign, AppBindings> = async (c) => {
  const { template_id, html } = c.req.valid("json");
  if (template_id === undefined) return c.json({ design: recoverDesign(html ?? "", "html", "this HTML") }, 200);
  const template = await templates.getTemplate(c.var.db, c.var.workspace.id, template_id).catch((err: unknown) => {
    if (err instanceof NotFoundError) {
      throw invalidField("body", "template_id", "no template with this id or slug in the workspace");
    }
    throw err;
  });
  return c.json({ design: recoverDesign(template.body_html, "template_id", `the ${template.template_type} template's HTML`) }, 200);
};
