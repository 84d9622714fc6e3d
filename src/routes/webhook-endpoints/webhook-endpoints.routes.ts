import { jsonBody, jsonContent, problemResponses } from "../../lib/openapi";
import { PaginationQuerySchema, pageSchema } from "../../lib/pagination";
import { workspaceRoute } from "../route-kinds";
import { WorkspaceParamsSchema } from "../workspaces/workspaces.schemas";
import {
  CreateWebhookEndpointSchema,
  UpdateWebhookEndpointSchema,
  WebhookDeliverySchema,
  WebhookEndpointParamsSchema,
  WebhookEndpointSchema,
  WebhookEndpointWithSecretSchema,
} from "./webhook-endpoints.schemas";

const tags = ["Webhook endpoints"];
const path = "/workspaces/{ws}/webhook-endpoints";
const item = `${path}/{endpoint_id}`;

export const listWebhookEndpoints = workspaceRoute({
  method: "get",
  path,
  operationId: "listWebhookEndpoints",
  summary: "List the workspace's outgoing webhook endpoints",
  tags,
  request: { params: WorkspaceParamsSchema, query: PaginationQuerySchema },
  responses: {
    200: jsonContent(pageSchema(WebhookEndpointSchema).openapi("WebhookEndpointPage"), "A page of endpoints, oldest first"),
    ...problemResponses("validation_failed"),
  },
});

export const createWebhookEndpoint = workspaceRoute({
  method: "post",
  path,
  operationId: "createWebhookEndpoint",
  summary: "Register an endpoint for outgoing webhooks",
  description:
    "Events are POSTed as `{type, timestamp, data}` signed per Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`). The signing secret is in this response only.",
  tags,
  request: { params: WorkspaceParamsSchema, body: jsonBody(CreateWebhookEndpointSchema) },
  responses: { 201: jsonContent(WebhookEndpointWithSecretSchema, "The endpoint and its secret"), ...problemResponses("validation_failed") },
});

export const getWebhookEndpoint = workspaceRoute({
  method: "get",
  path: item,
  operationId: "getWebhookEndpoint",
  summary: "Read an endpoint (never its secret)",
  tags,
  request: { params: WebhookEndpointParamsSchema },
  responses: { 200: jsonContent(WebhookEndpointSchema, "The endpoint") },
});

export const updateWebhookEndpoint = workspaceRoute({
  method: "patch",
  path: item,
  operationId: "updateWebhookEndpoint",
  summary: "Change an endpoint's URL, event types, description or enabled state",
  tags,
  request: { params: WebhookEndpointParamsSchema, body: jsonBody(UpdateWebhookEndpointSchema) },
  responses: { 200: jsonContent(WebhookEndpointSchema, "The endpoint") },
});

export const deleteWebhookEndpoint = workspaceRoute({
  method: "delete",
  path: item,
  operationId: "deleteWebhookEndpoint",
  summary: "Remove an endpoint with its deliveries",
  description: "Deliveries still queued for it are dropped.",
  tags,
  request: { params: WebhookEndpointParamsSchema },
  responses: { 204: { description: "Deleted" } },
});

export const rotateWebhookEndpointSecret = workspaceRoute({
  method: "post",
  path: `${item}/rotate-secret`,
  operationId: "rotateWebhookEndpointSecret",
  summary: "Replace the signing secret",
  description:
    "The new secret is in this response only. For 24 hours the previous secret keeps signing too: `webhook-signature` then carries two space-separated signatures, so the receiver can switch without missing events.",
  tags,
  request: { params: WebhookEndpointParamsSchema },
  responses: { 200: jsonContent(WebhookEndpointWithSecretSchema, "The endpoint and its new secret") },
});

export const listWebhookDeliveries = workspaceRoute({
  method: "get",
  path: `${item}/deliveries`,
  operationId: "listWebhookDeliveries",
  summary: "List an endpoint's deliveries with their attempts",
  tags,
  request: { params: WebhookEndpointParamsSchema, query: PaginationQuerySchema },
  responses: {
    200: jsonContent(pageSchema(WebhookDeliverySchema).openapi("WebhookDeliveryPage"), "A page of deliveries, newest first"),
    ...problemResponses("validation_failed"),
  },
});

export const testWebhookEndpoint = workspaceRoute({
  method: "post",
  path: `${item}/test`,
  operationId: "testWebhookEndpoint",
  summary: "Queue a `webhook.test` event to the endpoint",
  description: "Sent whatever event types the endpoint asked for, signed and retried like any event. A disabled endpoint is a 409.",
  tags,
  request: { params: WebhookEndpointParamsSchema },
  responses: { 202: jsonContent(WebhookDeliverySchema, "The queued delivery"), ...problemResponses("conflict") },
});
