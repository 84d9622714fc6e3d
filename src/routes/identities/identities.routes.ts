import { jsonBody, jsonContent, problemResponses } from "../../lib/openapi";
import { PaginationQuerySchema, pageSchema } from "../../lib/pagination";
import { workspaceRoute } from "../route-kinds";
import { WorkspaceParamsSchema } from "../workspaces/workspaces.schemas";
import {
  CreateIdentitySchema,
  IdentityParamsSchema,
  IdentityQuerySchema,
  IdentitySchema,
  UpdateIdentitySchema,
} from "./identities.schemas";

const tags = ["Sending identities"];
const base = "/workspaces/{ws}/email-infrastructure/identities";

export const listIdentities = workspaceRoute({
  method: "get",
  path: base,
  operationId: "listSendingIdentities",
  summary: "List sending identities",
  tags,
  request: { params: WorkspaceParamsSchema, query: PaginationQuerySchema.extend(IdentityQuerySchema.shape) },
  responses: {
    200: jsonContent(pageSchema(IdentitySchema).openapi("SendingIdentityPage"), "A page of identities, oldest first"),
    ...problemResponses("validation_failed"),
  },
});

export const createIdentity = workspaceRoute({
  method: "post",
  path: base,
  operationId: "createSendingIdentity",
  summary: "Add a from address on a sending domain",
  description:
    "A domain can have several (marketing@, support@, noreply@). The address must be at the domain's sending host, so that DKIM and DMARC align.",
  tags,
  request: { params: WorkspaceParamsSchema, body: jsonBody(CreateIdentitySchema) },
  responses: { 201: jsonContent(IdentitySchema, "The identity"), ...problemResponses("bad_request", "validation_failed", "conflict") },
});

export const getIdentity = workspaceRoute({
  method: "get",
  path: `${base}/{identity_id}`,
  operationId: "getSendingIdentity",
  summary: "Get a sending identity",
  tags,
  request: { params: IdentityParamsSchema },
  responses: { 200: jsonContent(IdentitySchema, "The identity") },
});

export const updateIdentity = workspaceRoute({
  method: "patch",
  path: `${base}/{identity_id}`,
  operationId: "updateSendingIdentity",
  summary: "Change an identity's display name, reply-to or default flag",
  description: "The address stays. Making an identity the default demotes the previous default of its domain.",
  tags,
  request: { params: IdentityParamsSchema, body: jsonBody(UpdateIdentitySchema) },
  responses: { 200: jsonContent(IdentitySchema, "The identity"), ...problemResponses("bad_request", "validation_failed") },
});

export const deleteIdentity = workspaceRoute({
  method: "delete",
  path: `${base}/{identity_id}`,
  operationId: "deleteSendingIdentity",
  summary: "Remove a sending identity",
  description: "Refused (409) while a campaign that may still send (draft, scheduled, sending, paused) uses it as its from address.",
  tags,
  request: { params: IdentityParamsSchema },
  responses: { 204: { description: "Deleted" }, ...problemResponses("conflict") },
});
