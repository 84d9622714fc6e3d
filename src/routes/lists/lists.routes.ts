import { jsonBody, jsonContent, problemResponses } from "../../lib/openapi";
import { PaginationQuerySchema, pageSchema } from "../../lib/pagination";
import { workspaceRoute } from "../route-kinds";
import { BulkOutcomeSchema, BulkSubscribersSchema } from "../subscribers/subscribers.schemas";
import { WorkspaceParamsSchema } from "../workspaces/workspaces.schemas";
import { CreateListSchema, ListParamsSchema, ListSchema, MembershipParamsSchema, UpdateListSchema } from "./lists.schemas";

const tags = ["Lists"];
const base = "/workspaces/{ws}/email-marketing/lists";

export const listLists = workspaceRoute({
  method: "get",
  path: base,
  operationId: "listLists",
  summary: "List subscriber lists",
  tags,
  request: { params: WorkspaceParamsSchema, query: PaginationQuerySchema },
  responses: {
    200: jsonContent(pageSchema(ListSchema).openapi("SubscriberListPage"), "A page of lists, oldest first"),
    ...problemResponses("validation_failed"),
  },
});

export const createList = workspaceRoute({
  method: "post",
  path: base,
  operationId: "createList",
  summary: "Create a list",
  tags,
  request: { params: WorkspaceParamsSchema, body: jsonBody(CreateListSchema) },
  responses: { 201: jsonContent(ListSchema, "The list"), ...problemResponses("bad_request", "validation_failed") },
});

export const getList = workspaceRoute({
  method: "get",
  path: `${base}/{list_id}`,
  operationId: "getList",
  summary: "Get a list and its size",
  tags,
  request: { params: ListParamsSchema },
  responses: { 200: jsonContent(ListSchema, "The list") },
});

export const updateList = workspaceRoute({
  method: "patch",
  path: `${base}/{list_id}`,
  operationId: "updateList",
  summary: "Rename or describe a list",
  tags,
  request: { params: ListParamsSchema, body: jsonBody(UpdateListSchema) },
  responses: { 200: jsonContent(ListSchema, "The list"), ...problemResponses("bad_request", "validation_failed") },
});

export const deleteList = workspaceRoute({
  method: "delete",
  path: `${base}/{list_id}`,
  operationId: "deleteList",
  summary: "Delete a list (its subscribers stay)",
  description: "A 409 naming the campaigns while a draft, scheduled, sending or paused campaign sends to the list or filters by it.",
  tags,
  request: { params: ListParamsSchema },
  responses: { 204: { description: "Deleted" }, ...problemResponses("conflict") },
});

export const addSubscribers = workspaceRoute({
  method: "post",
  path: `${base}/{list_id}/subscribers`,
  operationId: "addSubscribersToList",
  summary: "Add or update up to 1,000 subscribers in a list",
  description:
    "Each row is created or updated by email and added to the list, and lands in exactly one of created, updated, skipped " +
    "and invalid, so the four add up to the rows sent. Invalid rows are listed in `errors`, skipped ones (a repeat of an " +
    "address earlier in the request, a suppressed or erased address) in `skipped_rows`, and rows imported with something " +
    "left out (an unknown category) in `warnings`, each with its index. An unsubscribed address keeps its status.",
  tags,
  request: { params: ListParamsSchema, body: jsonBody(BulkSubscribersSchema) },
  responses: { 200: jsonContent(BulkOutcomeSchema, "What happened to each row"), ...problemResponses("bad_request", "validation_failed") },
});

export const removeSubscriber = workspaceRoute({
  method: "delete",
  path: `${base}/{list_id}/subscribers/{subscriber_id}`,
  operationId: "removeSubscriberFromList",
  summary: "Remove a subscriber from a list (the subscriber stays)",
  tags,
  request: { params: MembershipParamsSchema },
  responses: { 204: { description: "Removed" } },
});
