import { jsonBody, jsonContent, problemResponses } from "../../lib/openapi";
import { workspaceRoute } from "../route-kinds";
import { WorkspaceParamsSchema } from "../workspaces/workspaces.schemas";
import { EventParamsSchema, EventsAcceptedSchema, IngestEventsSchema, StoredEventSchema } from "./automation-events.schemas";

const tags = ["Automation"];
const path = "/workspaces/{ws}/email-marketing/events";

export const ingestEvents = workspaceRoute({
  method: "post",
  path,
  operationId: "ingestEvents",
  summary: "Send product events (one, or a batch of up to 100)",
  description:
    "Answered 202 at once; each event is then processed from a queue: the user's subscriber is created or updated (found by `user.id`, else by email; attributes merged), `user.milestone_reached` with `properties.milestone` marks that milestone reached, and every enabled rule whose trigger is the event's type runs. An id seen before in the workspace is a duplicate and does nothing.",
  tags,
  request: { params: WorkspaceParamsSchema, body: jsonBody(IngestEventsSchema) },
  responses: { 202: jsonContent(EventsAcceptedSchema, "Accepted for processing"), ...problemResponses("validation_failed") },
});

export const getEvent = workspaceRoute({
  method: "get",
  path: `${path}/{event_id}`,
  operationId: "getEvent",
  summary: "Read a received event and whether it was processed",
  tags,
  request: { params: EventParamsSchema },
  responses: { 200: jsonContent(StoredEventSchema, "The event") },
});
