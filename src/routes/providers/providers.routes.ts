import { jsonBody, jsonContent, problemResponses } from "../../lib/openapi";
import { PaginationQuerySchema, pageSchema } from "../../lib/pagination";
import { workspaceRoute } from "../route-kinds";
import { WorkspaceParamsSchema } from "../workspaces/workspaces.schemas";
import {
  CapturedMessageParamsSchema,
  CapturedMessageSchema,
  CapturedMessageSummarySchema,
  CapturedMessagesQuerySchema,
  CreateProviderSchema,
  ProviderParamsSchema,
  ProviderSchema,
  ProviderTestResultSchema,
  UpdateProviderSchema,
} from "./providers.schemas";

const tags = ["Providers"];
const base = "/workspaces/{ws}/email-infrastructure/providers";

export const listProviders = workspaceRoute({
  method: "get",
  path: base,
  operationId: "listEmailProviders",
  summary: "List sending providers",
  tags,
  request: { params: WorkspaceParamsSchema, query: PaginationQuerySchema },
  responses: {
    200: jsonContent(pageSchema(ProviderSchema).openapi("EmailProviderPage"), "A page of providers, oldest first"),
    ...problemResponses("validation_failed"),
  },
});

export const createProvider = workspaceRoute({
  method: "post",
  path: base,
  operationId: "createEmailProvider",
  summary: "Add a sending provider",
  tags,
  request: { params: WorkspaceParamsSchema, body: jsonBody(CreateProviderSchema) },
  responses: { 201: jsonContent(ProviderSchema, "The provider"), ...problemResponses("bad_request", "validation_failed") },
});

export const getProvider = workspaceRoute({
  method: "get",
  path: `${base}/{provider_id}`,
  operationId: "getEmailProvider",
  summary: "Get a provider",
  tags,
  request: { params: ProviderParamsSchema },
  responses: { 200: jsonContent(ProviderSchema, "The provider") },
});

export const updateProvider = workspaceRoute({
  method: "patch",
  path: `${base}/{provider_id}`,
  operationId: "updateEmailProvider",
  summary: "Change a provider's name, credentials, settings or limits",
  description: "provider_type cannot change. New credentials clear the last check, since it tested the old ones.",
  tags,
  request: { params: ProviderParamsSchema, body: jsonBody(UpdateProviderSchema) },
  responses: { 200: jsonContent(ProviderSchema, "The provider"), ...problemResponses("bad_request", "validation_failed") },
});

export const deleteProvider = workspaceRoute({
  method: "delete",
  path: `${base}/{provider_id}`,
  operationId: "deleteEmailProvider",
  summary: "Remove a provider",
  description: "Refused (409) while a pool, or a campaign that may still send, names the provider in routing_config.preferred_providers.",
  tags,
  request: { params: ProviderParamsSchema },
  responses: { 204: { description: "Deleted" }, ...problemResponses("conflict") },
});

export const testProvider = workspaceRoute({
  method: "post",
  path: `${base}/{provider_id}/test`,
  operationId: "testEmailProvider",
  summary: "Verify the stored credentials against the provider's API",
  description:
    "SES: GetAccount; SendGrid: the key's scopes (mail.send required); Mailgun: the sending domain; Postmark: the server and its message stream; SMTP: EHLO and AUTH. The outcome is stored as last_check_*; a failed check is a 200 with ok=false.",
  tags,
  request: { params: ProviderParamsSchema },
  responses: { 200: jsonContent(ProviderTestResultSchema, "The outcome of the probe") },
});

export const listCapturedMessages = workspaceRoute({
  method: "get",
  path: `${base}/{provider_id}/messages`,
  operationId: "listCapturedMessages",
  summary: "List the messages a capture provider stored",
  description: "Newest first. Only capture providers store messages: any other provider type is a 409.",
  tags,
  request: { params: ProviderParamsSchema, query: CapturedMessagesQuerySchema },
  responses: {
    200: jsonContent(pageSchema(CapturedMessageSummarySchema).openapi("CapturedMessagePage"), "A page of captured messages, newest first"),
    ...problemResponses("conflict", "validation_failed"),
  },
});

export const getCapturedMessage = workspaceRoute({
  method: "get",
  path: `${base}/{provider_id}/messages/{message_id}`,
  operationId: "getCapturedMessage",
  summary: "Read one captured message: its raw MIME and its parts",
  tags,
  request: { params: CapturedMessageParamsSchema },
  responses: { 200: jsonContent(CapturedMessageSchema, "The captured message"), ...problemResponses("conflict") },
});
