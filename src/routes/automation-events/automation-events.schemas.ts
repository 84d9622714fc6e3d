import { z } from "@hono/zod-openapi";
import type { automationEvents } from "../../db/schema";
import { automationEventStatuses } from "../../db/schema/enums";
import { MAX_EVENTS_PER_REQUEST, ProductEventSchema } from "../../domain/automation/events";
import { WorkspaceParamsSchema } from "../workspaces/workspaces.schemas";

export const EventBatchSchema = z
  .object({ events: z.array(ProductEventSchema).min(1).max(MAX_EVENTS_PER_REQUEST) })
  .strict()
  .openapi("ProductEventBatch");

export const IngestEventsSchema = z.union([ProductEventSchema, EventBatchSchema]).openapi({
  description: `One event, or \`{events: [...]}\` with 1 to ${MAX_EVENTS_PER_REQUEST}`,
});

export const EventsAcceptedSchema = z
  .object({
    accepted: z.number().int(),
    ids: z.array(z.string()).openapi({ description: "The events' ids in the order sent (assigned `evt_…` where none was given)" }),
  })
  .openapi("EventsAccepted");

export const StoredEventSchema = z
  .object({
    id: z.string(),
    type: z.string(),
    occurred_at: z.string(),
    user: z.record(z.string(), z.unknown()),
    properties: z.record(z.string(), z.unknown()),
    subscriber_id: z.string().nullable(),
    status: z.enum(automationEventStatuses).openapi({ description: "received until processed; a duplicate id is stored once" }),
    error: z.string().nullable().openapi({ description: "Why the last attempt to process it failed; it is tried again" }),
    received_at: z.string(),
    processed_at: z.string().nullable(),
  })
  .openapi("ProductEventRecord");

export const EventParamsSchema = WorkspaceParamsSchema.extend({
  event_id: z.string().openapi({ param: { name: "event_id", in: "path" } }),
});

export const toStoredEventResponse = (e: typeof automationEvents.$inferSelect): z.infer<typeof StoredEventSchema> => ({
  id: e.id,
  type: e.type,
  occurred_at: e.occurred_at,
  user: e.user,
  properties: e.properties,
  subscriber_id: e.subscriber_id,
  status: e.status,
  error: e.error,
  received_at: e.received_at,
  processed_at: e.processed_at,
});
