import { jsonBody, jsonContent, problemResponses } from "../../lib/openapi";
import { PaginationQuerySchema, pageSchema } from "../../lib/pagination";
import { workspaceRoute } from "../route-kinds";
import { WorkspaceParamsSchema } from "../workspaces/workspaces.schemas";
import { ApiKeyParamsSchema, ApiKeySchema, CreateApiKeySchema, CreatedApiKeySchema } from "./api-keys.schemas";

const tags = ["API keys"];

export const createApiKey = workspaceRoute({
  method: "post",
  path: "/workspaces/{ws}/api-keys",
  operationId: "createApiKey",
  summary: "Create an API key",
  tags,
  request: { params: WorkspaceParamsSchema, body: jsonBody(CreateApiKeySchema) },
  responses: {
    201: jsonContent(CreatedApiKeySchema, "The new key; `key` is shown only in this response"),
    ...problemResponses("bad_request", "validation_failed"),
  },
});

export const listApiKeys = workspaceRoute({
  method: "get",
  path: "/workspaces/{ws}/api-keys",
  operationId: "listApiKeys",
  summary: "List the workspace's API keys, revoked ones included",
  tags,
  request: { params: WorkspaceParamsSchema, query: PaginationQuerySchema },
  responses: {
    200: jsonContent(pageSchema(ApiKeySchema).openapi("ApiKeyPage"), "A page of keys, newest first"),
    ...problemResponses("validation_failed"),
  },
});

export const revokeApiKey = workspaceRoute({
  method: "delete",
  path: "/workspaces/{ws}/api-keys/{key_id}",
  operationId: "revokeApiKey",
  summary: "Revoke an API key; it fails from the next request on",
  tags,
  request: { params: ApiKeyParamsSchema },
  responses: { 200: jsonContent(ApiKeySchema, "The revoked key") },
});
