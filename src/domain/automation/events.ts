import { z } from "@hono/zod-openapi";
import { and, eq } from "drizzle-orm";
import type { Database } from "../../db/client";
import { automationEvents } from "../../db/schema";
import { newId } from "../../lib/ids";
import { normalizeEmail } from "../audience/emails";
import { notFound } from "../errors";

/** Events in one request, as the spec's batch form allows. */
export const MAX_EVENTS_PER_REQUEST = 100;
/** Characters of one event's JSON: even at 3 bytes each, under a queue message's 128 KB. */
export const MAX_EVENT_BYTES = 32 * 1024;
/** Queues take at most 256 KB per sendBatch call; a request's messages are split to stay under it. */
const MAX_SEND_BATCH_BYTES = 200 * 1024;

export const EVENT_TYPE_PATTERN = /^[a-z0-9][a-z0-9_.-]{0,99}$/;

export const EventTypeSchema = z
  .string()
  .regex(EVENT_TYPE_PATTERN, "must be lowercase letters, digits, '.', '_' or '-', starting with a letter or digit, at most 100")
  .openapi({
    description:
      "One of the spec's CRM triggers (`user.first_login`, `user.profile_completed`, `user.integration_connected`, `user.milestone_reached`, `release.published`) or a custom type",
    example: "user.first_login",
  });

const KEY = /^[A-Za-z0-9_-]{1,64}$/;
const freeForm = (what: string) =>
  z
    .record(z.string().regex(KEY, "keys are letters, digits, '_' or '-', at most 64"), z.unknown())
    .refine((value) => Object.keys(value).length <= 100, `${what} hold at most 100 keys`);

export const EventUserSchema = z
  .object({
    id: z
      .string()
      .min(1)
      .max(255)
      .optional()
      .openapi({ description: "The user's id in your product; the subscriber is found by it first" }),
    email: z
      .string()
      .max(320)
      .refine((email) => normalizeEmail(email) !== null, "must be an email address"),
    name: z.string().max(200).nullable().optional(),
    attributes: freeForm("attributes")
      .refine((a) => JSON.stringify(a).length <= 16_384, "attributes may hold at most 16 KB of JSON, as a subscriber's do")
      .optional()
      .openapi({ description: "Merged into the subscriber's attributes (a key given replaces that key)" }),
  })
  .strict()
  .openapi("EventUser");

export const ProductEventSchema = z
  .object({
    id: z
      .string()
      .regex(/^[\x21-\x7e]{1,128}$/, "must be 1 to 128 printable ASCII characters without spaces")
      .optional()
      .openapi({
        description:
          "Your id for the event: a second event with the same id is a duplicate and does nothing. Assigned (`evt_…`) when absent.",
      }),
    type: EventTypeSchema,
    occurred_at: z.iso.datetime({ offset: true }).optional().openapi({ description: "When it happened; default: when it was received" }),
    user: EventUserSchema,
    properties: freeForm("properties")
      .optional()
      .openapi({ example: { milestone: "first_project" } }),
  })
  .strict()
  .superRefine((event, ctx) => {
    if (JSON.stringify(event).length > MAX_EVENT_BYTES)
      ctx.addIssue({ code: "custom", message: `an event holds at most ${MAX_EVENT_BYTES / 1024} KB of JSON` });
  })
  .openapi("ProductEvent");

export type ProductEventInput = z.infer<typeof ProductEventSchema>;

/** An event as it travels on AUTOMATION_QUEUE: its id assigned, the address normalized, defaults filled. */
export const AutomationEventMessageSchema = z.object({
  kind: z.literal("automation_event"),
  workspace_id: z.string().min(1),
  received_at: z.string(),
  event: z.object({
    id: z.string().min(1),
    type: z.string().regex(EVENT_TYPE_PATTERN),
    occurred_at: z.string(),
    user: z.object({
      id: z.string().min(1).optional(),
      email: z.string().min(3),
      name: z.string().nullable().optional(),
      attributes: z.record(z.string(), z.unknown()).optional(),
    }),
    properties: z.record(z.string(), z.unknown()),
  }),
});

export type AutomationEventMessage = z.infer<typeof AutomationEventMessageSchema>;
export type QueuedEvent = AutomationEventMessage["event"];

export function toMessage(workspaceId: string, input: ProductEventInput, now: Date): AutomationEventMessage {
  const receivedAt = now.toISOString();
  return {
    kind: "automation_event",
    workspace_id: workspaceId,
    received_at: receivedAt,
    event: {
      id: input.id ?? newId("evt", now.getTime()),
      type: input.type,
      occurred_at: input.occurred_at ? new Date(input.occurred_at).toISOString() : receivedAt,
      user: { ...input.user, email: normalizeEmail(input.user.email) as string },
      properties: input.properties ?? {},
    },
  };
}

const encoder = new TextEncoder();

/** Splits messages so that each sendBatch call stays within the Queues size limit; a usual request is one call. */
function bySendBatchSize(messages: AutomationEventMessage[]): AutomationEventMessage[][] {
  const groups: AutomationEventMessage[][] = [];
  let current: AutomationEventMessage[] = [];
  let bytes = 0;
  for (const message of messages) {
    const size = encoder.encode(JSON.stringify(message)).length + 64;
    if (current.length > 0 && bytes + size > MAX_SEND_BATCH_BYTES) {
      groups.push(current);
      current = [];
      bytes = 0;
    }
    current.push(message);
    bytes += size;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

/**
 * Accepts events for processing: ids assigned, then onto AUTOMATION_QUEUE, one message per event, with no D1 read
 * or write on the way; duplicates are recognized by the consumer, which stores each event id once.
 */
export async function ingestEvents(queue: Queue, workspaceId: string, inputs: ProductEventInput[], now: Date): Promise<string[]> {
  const messages = inputs.map((input) => toMessage(workspaceId, input, now));
  for (const group of bySendBatchSize(messages)) {
    await queue.sendBatch(group.map((body) => ({ body, contentType: "json" as const })));
  }
  return messages.map((m) => m.event.id);
}

export async function getEvent(db: Database, workspaceId: string, id: string) {
  const event = await db
    .select()
    .from(automationEvents)
    .where(and(eq(automationEvents.workspace_id, workspaceId), eq(automationEvents.id, id)))
    .get();
  if (!event) throw notFound("Event");
  return event;
}
