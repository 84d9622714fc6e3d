import { DESIGN_LIMITS_TEXT } from "../../domain/builder/design-schema";
import { MAX_LIQUID_NESTING } from "../../domain/templates/liquid";
import { jsonBody, jsonContent, problemResponses } from "../../lib/openapi";
import { PaginationQuerySchema, pageSchema } from "../../lib/pagination";
import { workspaceRoute } from "../route-kinds";
import { WorkspaceParamsSchema } from "../workspaces/workspaces.schemas";
import {
  CreateTemplateSchema,
  MAX_HTML,
  PreviewRequestSchema,
  PreviewSchema,
  TemplateListQuerySchema,
  TemplateParamsSchema,
  TemplateSchema,
  TemplateVersionParamsSchema,
  TemplateVersionSchema,
  UpdateTemplateSchema,
} from "./templates.schemas";

const tags = ["Templates"];

const TEMPLATE_LIMITS_TEXT =
  `Liquid that does not parse is refused with 422 naming the field, line and column, as is Liquid whose block tags nest deeper than ${MAX_LIQUID_NESTING} levels, and any {% render %}, {% include %} or {% layout %} tag (a template cannot load another). ` +
  `body_html and body_text hold at most ${MAX_HTML.toLocaleString("en")} characters. In visual_definition: ${DESIGN_LIMITS_TEXT}`;
const base = "/workspaces/{ws}/email-marketing/templates";

export const listTemplates = workspaceRoute({
  method: "get",
  path: base,
  operationId: "listTemplates",
  summary: "List templates",
  tags,
  request: { params: WorkspaceParamsSchema, query: PaginationQuerySchema.extend(TemplateListQuerySchema.shape) },
  responses: {
    200: jsonContent(pageSchema(TemplateSchema).openapi("EmailTemplatePage"), "A page of templates, oldest first"),
    ...problemResponses("validation_failed"),
  },
});

export const createTemplate = workspaceRoute({
  method: "post",
  path: base,
  operationId: "createTemplate",
  summary: "Create a template",
  description: TEMPLATE_LIMITS_TEXT,
  tags,
  request: { params: WorkspaceParamsSchema, body: jsonBody(CreateTemplateSchema) },
  responses: {
    201: jsonContent(TemplateSchema, "The template, at version 1"),
    ...problemResponses("bad_request", "conflict", "validation_failed"),
  },
});

export const getTemplate = workspaceRoute({
  method: "get",
  path: `${base}/{template_id}`,
  operationId: "getTemplate",
  summary: "Get a template",
  tags,
  request: { params: TemplateParamsSchema },
  responses: { 200: jsonContent(TemplateSchema, "The template") },
});

export const updateTemplate = workspaceRoute({
  method: "patch",
  path: `${base}/{template_id}`,
  operationId: "updateTemplate",
  summary: "Change a template",
  description: `A change of content creates a new version. A visual template's body_html belongs to its design: changing it is refused (409) unless the same request sets template_type to code. ${TEMPLATE_LIMITS_TEXT}`,
  tags,
  request: { params: TemplateParamsSchema, body: jsonBody(UpdateTemplateSchema) },
  responses: {
    200: jsonContent(TemplateSchema, "The updated template"),
    ...problemResponses("bad_request", "conflict", "validation_failed"),
  },
});

export const deleteTemplate = workspaceRoute({
  method: "delete",
  path: `${base}/{template_id}`,
  operationId: "deleteTemplate",
  summary: "Delete a template no campaign uses",
  tags,
  request: { params: TemplateParamsSchema },
  responses: { 204: { description: "Deleted" }, ...problemResponses("conflict") },
});

export const listTemplateVersions = workspaceRoute({
  method: "get",
  path: `${base}/{template_id}/versions`,
  operationId: "listTemplateVersions",
  summary: "List a template's versions",
  tags,
  request: { params: TemplateParamsSchema, query: PaginationQuerySchema },
  responses: {
    200: jsonContent(pageSchema(TemplateVersionSchema).openapi("EmailTemplateVersionPage"), "Versions, newest first"),
    ...problemResponses("validation_failed"),
  },
});

export const getTemplateVersion = workspaceRoute({
  method: "get",
  path: `${base}/{template_id}/versions/{version}`,
  operationId: "getTemplateVersion",
  summary: "Get one version of a template",
  tags,
  request: { params: TemplateVersionParamsSchema },
  responses: { 200: jsonContent(TemplateVersionSchema, "The version's content"), ...problemResponses("validation_failed") },
});

export const previewTemplate = workspaceRoute({
  method: "post",
  path: `${base}/{template_id}/preview`,
  operationId: "previewTemplate",
  summary: "Render a template with a context, and list what a sender should fix",
  tags,
  request: { params: TemplateParamsSchema, body: jsonBody(PreviewRequestSchema) },
  responses: {
    200: jsonContent(PreviewSchema, "The rendered email and its warnings"),
    ...problemResponses("bad_request", "validation_failed"),
  },
});
