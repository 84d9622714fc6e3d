import { jsonBody, jsonContent, problemResponses } from "../../lib/openapi";
import { PaginationQuerySchema, pageSchema } from "../../lib/pagination";
import { CreatedApiKeySchema } from "../api-keys/api-keys.schemas";
import { adminRoute, workspaceRoute } from "../route-kinds";
import { CreateWorkspaceSchema, UpdateWorkspaceSchema, WorkspaceParamsSchema, WorkspaceSchema } from "./workspaces.schemas";

const tags = ["Workspaces"];

export const createWorkspace = adminRoute({
  method: "post",
  path: "/workspaces",
  operationId: "createWorkspace",
  summary: "Create a workspace and its first API key",
  tags,
  request: { body: jsonBody(CreateWorkspaceSchema) },
  responses: {
    201: jsonContent(
      WorkspaceSchema.extend({ api_key: CreatedApiKeySchema }).openapi("CreatedWorkspace"),
      "The workspace, with its first API key (the key is shown only here)",
    ),
    ...problemResponses("bad_request", "conflict", "validation_failed"),
  },
});

export const listWorkspaces = adminRoute({
  method: "get",
  path: "/workspaces",
  operationId: "listWorkspaces",
  summary: "List all workspaces",
  tags,
  request: { query: PaginationQuerySchema },
  responses: {
    200: jsonContent(pageSchema(WorkspaceSchema).openapi("WorkspacePage"), "A page of workspaces, oldest first"),
    ...problemResponses("validation_failed"),
  },
});

export const getWorkspace = workspaceRoute({
  method: "get",
  path: "/workspaces/{ws}",
  operationId: "getWorkspace",
  summary: "Get the workspace",
  tags,
  request: { params: WorkspaceParamsSchema },
  responses: { 200: jsonContent(WorkspaceSchema, "The workspace") },
});

export const updateWorkspace = workspaceRoute({
  method: "patch",
  path: "/workspaces/{ws}",
  operationId: "updateWorkspace",
  summary: "Change the workspace's name, time zone or postal address",
  tags,
  request: { params: WorkspaceParamsSchema, body: jsonBody(UpdateWorkspaceSchema) },
  responses: {
    200: jsonContent(WorkspaceSchema, "The updated workspace"),
    ...problemResponses("bad_request", "validation_failed"),
  },
});
