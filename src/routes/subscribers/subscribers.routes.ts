import { jsonBody, jsonContent, problemResponses } from "../../lib/openapi";
import { PaginationQuerySchema, pageSchema } from "../../lib/pagination";
import { workspaceRoute } from "../route-kinds";
import { WorkspaceParamsSchema } from "../workspaces/workspaces.schemas";
import {
  CreateSubscriberSchema,
  DeleteSubscriberQuerySchema,
  SubscriberExportSchema,
  SubscriberListQuerySchema,
  SubscriberParamsSchema,
  SubscriberSchema,
  UpdateSubscriberSchema,
} from "./subscribers.schemas";

const tags = ["Subscribers"];
const base = "/workspaces/{ws}/email-marketing/subscribers";

export const listSubscribers = workspaceRoute({
  method: "get",
  path: base,
  operationId: "listSubscribers",
  summary: "List subscribers, by email, status or list",
  tags,
  request: { params: WorkspaceParamsSchema, query: PaginationQuerySchema.extend(SubscriberListQuerySchema.shape) },
  responses: {
    200: jsonContent(pageSchema(SubscriberSchema).openapi("SubscriberPage"), "A page of subscribers, oldest first"),
    ...problemResponses("validation_failed"),
  },
});

export const createSubscriber = workspaceRoute({
  method: "post",
  path: base,
  operationId: "createSubscriber",
  summary: "Create a subscriber, in some lists or in none",
  description:
    "The address is trimmed and lowercased. 409 if a subscriber of the workspace already has it, or if it is suppressed " +
    "or erased (a bulk upsert skips such an address for the same reason); 422 at `preferences.<slug>` for an unknown category.",
  tags,
  request: { params: WorkspaceParamsSchema, body: jsonBody(CreateSubscriberSchema) },
  responses: {
    201: jsonContent(SubscriberSchema, "The subscriber"),
    ...problemResponses("bad_request", "conflict", "validation_failed"),
  },
});

export const getSubscriber = workspaceRoute({
  method: "get",
  path: `${base}/{subscriber_id}`,
  operationId: "getSubscriber",
  summary: "Get a subscriber with their category preferences",
  tags,
  request: { params: SubscriberParamsSchema },
  responses: { 200: jsonContent(SubscriberSchema, "The subscriber") },
});

export const updateSubscriber = workspaceRoute({
  method: "patch",
  path: `${base}/{subscriber_id}`,
  operationId: "updateSubscriber",
  summary: "Change a subscriber: address, profile, status, frequency, category preferences",
  description:
    "Status changes are recorded with source `api`. Bounced, complained and suppressed addresses cannot be reactivated (409). " +
    "A new `email` is normalized as on create, and refused (409) when another subscriber of the workspace has it or it is " +
    "suppressed. An unknown category in `preferences` is a 422 at `preferences.<slug>`. Nothing changes unless all of it is valid.",
  tags,
  request: { params: SubscriberParamsSchema, body: jsonBody(UpdateSubscriberSchema) },
  responses: {
    200: jsonContent(SubscriberSchema, "The updated subscriber"),
    ...problemResponses("bad_request", "conflict", "validation_failed"),
  },
});

export const deleteSubscriber = workspaceRoute({
  method: "delete",
  path: `${base}/{subscriber_id}`,
  operationId: "deleteSubscriber",
  summary: "Delete a subscriber; with erase=true, erase their personal data everywhere (GDPR)",
  description:
    "Without erase, the subscriber, their memberships and preferences are deleted; past sends keep the address. With `erase=true`, every copy of the address and name is removed from sends, events, provider logs, import reports and dead letters, and only a hash of the address is kept as a suppression so no later import can add it again.",
  tags,
  request: { params: SubscriberParamsSchema, query: DeleteSubscriberQuerySchema },
  responses: { 204: { description: "Deleted" }, ...problemResponses("validation_failed") },
});

export const exportSubscriber = workspaceRoute({
  method: "get",
  path: `${base}/{subscriber_id}/export`,
  operationId: "exportSubscriber",
  summary: "Everything held about a subscriber, as JSON (GDPR access request)",
  tags,
  request: { params: SubscriberParamsSchema },
  responses: { 200: jsonContent(SubscriberExportSchema, "Profile, lists, preference history, sends, events and suppressions") },
});
