import { DESIGN_LIMITS_TEXT } from "../../domain/builder/design-schema";
import { jsonBody, jsonContent, problemResponses } from "../../lib/openapi";
import { PaginationQuerySchema, pageSchema } from "../../lib/pagination";
import { workspaceRoute } from "../route-kinds";
import { TemplateSchema } from "../templates/templates.schemas";
import { WorkspaceParamsSchema } from "../workspaces/workspaces.schemas";
import {
  BlockCatalogSchema,
  ConvertToTemplateSchema,
  CreateCustomBlockSchema,
  CreateDesignSchema,
  CustomBlockSchema,
  DesignParamsSchema,
  RecoveredDesignSchema,
  RenderRequestSchema,
  RenderResultSchema,
  StoredDesignSchema,
  TemplateToDesignSchema,
  UpdateDesignSchema,
} from "./visual-builder.schemas";

const tags = ["Visual builder"];
const base = "/workspaces/{ws}/visual-builder";

export const listBlocks = workspaceRoute({
  method: "get",
  path: `${base}/blocks`,
  operationId: "listBuilderBlocks",
  summary: "The built-in blocks with their prop schemas, and the workspace's custom blocks",
  tags,
  request: { params: WorkspaceParamsSchema },
  responses: { 200: jsonContent(BlockCatalogSchema, "Every block a design may use") },
});

export const createBlock = workspaceRoute({
  method: "post",
  path: `${base}/blocks`,
  operationId: "createCustomBlock",
  summary: "Save a block tree as a custom block",
  description: `Designs use it as \`{"type": "custom", "props": {"slug": "…", "overrides": {…}}}\`. ${DESIGN_LIMITS_TEXT}`,
  tags,
  request: { params: WorkspaceParamsSchema, body: jsonBody(CreateCustomBlockSchema) },
  responses: {
    201: jsonContent(CustomBlockSchema, "The custom block"),
    ...problemResponses("bad_request", "conflict", "validation_failed"),
  },
});

export const listDesigns = workspaceRoute({
  method: "get",
  path: `${base}/designs`,
  operationId: "listDesigns",
  summary: "List saved designs",
  tags,
  request: { params: WorkspaceParamsSchema, query: PaginationQuerySchema },
  responses: {
    200: jsonContent(pageSchema(StoredDesignSchema).openapi("StoredDesignPage"), "A page of designs, oldest first"),
    ...problemResponses("validation_failed"),
  },
});

export const createDesign = workspaceRoute({
  method: "post",
  path: `${base}/designs`,
  operationId: "createDesign",
  summary: "Save a design",
  description: `${DESIGN_LIMITS_TEXT} A deeper or larger tree is refused with 422 naming the path where it breaks the limit.`,
  tags,
  request: { params: WorkspaceParamsSchema, body: jsonBody(CreateDesignSchema) },
  responses: { 201: jsonContent(StoredDesignSchema, "The saved design"), ...problemResponses("bad_request", "validation_failed") },
});

export const getDesign = workspaceRoute({
  method: "get",
  path: `${base}/designs/{design_id}`,
  operationId: "getDesign",
  summary: "Get a design",
  tags,
  request: { params: DesignParamsSchema },
  responses: { 200: jsonContent(StoredDesignSchema, "The design") },
});

export const updateDesign = workspaceRoute({
  method: "patch",
  path: `${base}/designs/{design_id}`,
  operationId: "updateDesign",
  summary: "Rename a design or replace its content",
  tags,
  request: { params: DesignParamsSchema, body: jsonBody(UpdateDesignSchema) },
  responses: { 200: jsonContent(StoredDesignSchema, "The updated design"), ...problemResponses("bad_request", "validation_failed") },
});

export const deleteDesign = workspaceRoute({
  method: "delete",
  path: `${base}/designs/{design_id}`,
  operationId: "deleteDesign",
  summary: "Delete a design (templates converted from it keep their copy)",
  tags,
  request: { params: DesignParamsSchema },
  responses: { 204: { description: "Deleted" } },
});

export const renderDesign = workspaceRoute({
  method: "post",
  path: `${base}/render`,
  operationId: "renderDesign",
  summary: "Compile a design to email HTML and render it with a context",
  description: `${DESIGN_LIMITS_TEXT} A deeper or larger tree is refused with 422 naming the path where it breaks the limit.`,
  tags,
  request: { params: WorkspaceParamsSchema, body: jsonBody(RenderRequestSchema) },
  responses: { 200: jsonContent(RenderResultSchema, "The HTML"), ...problemResponses("bad_request", "validation_failed") },
});

export const convertToTemplate = workspaceRoute({
  method: "post",
  path: `${base}/designs/{design_id}/convert-to-template`,
  operationId: "convertDesignToTemplate",
  summary: "Create a visual template from a saved design",
  tags,
  request: { params: DesignParamsSchema, body: jsonBody(ConvertToTemplateSchema) },
  responses: {
    201: jsonContent(TemplateSchema, "The new visual template"),
    ...problemResponses("bad_request", "conflict", "validation_failed"),
  },
});

export const templateToDesign = workspaceRoute({
  method: "post",
  path: `${base}/template-to-design`,
  operationId: "templateToDesign",
  summary: "Recover the design a template's HTML was compiled from (template_to_design)",
  description:
    "Takes a template (`template_id`, its id or slug) or the HTML itself (`html`). HTML the visual builder did not " +
    "compile, such as a hand-written code template, is refused with 422 naming the field and saying why.",
  tags,
  request: { params: WorkspaceParamsSchema, body: jsonBody(TemplateToDesignSchema) },
  responses: { 200: jsonContent(RecoveredDesignSchema, "The design"), ...problemResponses("bad_request", "validation_failed") },
});
