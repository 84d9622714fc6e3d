import { jsonBody, jsonContent, problemResponses } from "../../lib/openapi";
import { PaginationQuerySchema, pageSchema } from "../../lib/pagination";
import { workspaceRoute } from "../route-kinds";
import { WorkspaceParamsSchema } from "../workspaces/workspaces.schemas";
import { CreateIdentitySchema, IdentityQuerySchema, IdentitySchema } from "./identities.schemas";

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
  description: "A domain can have several (marketing@, support@, noreply@). The address must be at the domain's sending host, so that DKIM and DMARC align.",
  tags,
  request: { params: WorkspaceParamsSchema, body: jsonBody(CreateIdentitySchema) },
  responses: { 201: jsonContent(IdentitySchema, "The identity"), ...problemResponses("bad_request", "validation_failed", "conflict") },
});
