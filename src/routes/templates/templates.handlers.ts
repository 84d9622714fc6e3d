import type { RouteHandler } from "@hono/zod-openapi";
import * as templates from "../../domain/templates/templates";
import type { AppBindings } from "../../lib/create-app";
import type * as routes from "./templates.routes";
import { toTemplateResponse, toVersionResponse } from "./templates.schemas";

export const listTemplates: RouteHandler<typeof routes.listTemplates, AppBindings> = async (c) => {
  const { limit, cursor, ...filter } = c.req.valid("query");
  const page = await templates.listTemplates(c.var.db, c.var.workspace.id, filter, limit, cursor);
  return c.json({ data: page.data.map(toTemplateResponse), next_cursor: page.next_cursor }, 200);
};

export const createTemplate: RouteHandler<typeof routes.createTemplate, AppBindings> = async (c) => {
  const created = await templates.createTemplate(c.var.db, c.var.workspace.id, c.req.valid("json"));
  return c.json(toTemplateResponse(created), 201);
};

export const getTemplate: RouteHandler<typeof routes.getTemplate, AppBindings> = async (c) => {
  const template = await templates.getTemplate(c.var.db, c.var.workspace.id, c.req.valid("param").template_id);
  return c.json(toTemplateResponse(template), 200);
};

export const updateTemplate: RouteHandler<typeof routes.updateTemplate, AppBindings> = async (c) => {
  const updated = await templates.updateTemplate(c.var.db, c.var.workspace.id, c.req.valid("param").template_id, c.req.valid("json"));
  return c.json(toTemplateResponse(updated), 200);
};

export const deleteTemplate: RouteHandler<typeof routes.deleteTemplate, AppBindings> = async (c) => {
  await templates.deleteTemplate(c.var.db, c.var.workspace.id, c.req.valid("param").template_id);
  return c.body(null, 204);
};

export const listTemplateVersions: RouteHandler<typeof routes.listTemplateVersions, AppBindings> = async (c) => {
  const { limit, cursor } = c.req.valid("query");
  const page = await templates.listVersions(c.var.db, c.var.workspace.id, c.req.valid("param").template_id, limit, cursor);
  return c.json({ data: page.data.map(toVersionResponse), next_cursor: page.next_cursor }, 200);
};

export const getTemplateVersion: RouteHandler<typeof routes.getTemplateVersion, AppBindings> = async (c) => {
  const { template_id, version } = c.req.valid("param");
  return c.json(toVersionResponse(await templates.getVersion(c.var.db, c.var.workspace.id, template_id, version)), 200);
};

export const previewTemplate: RouteHandler<typeof routes.previewTemplate, AppBindings> = async (c) => {
  const template = await templates.getTemplate(c.var.db, c.var.workspace.id, c.req.valid("param").template_id);
  const preview = await templates.previewTemplate(template, c.var.workspace, c.req.valid("json").context, c.var.config.PUBLIC_BASE_URL);
  return c.json(preview, 200);
};
