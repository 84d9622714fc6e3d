import { z } from "zod";
import { attributeTypes } from "../src/domain/audience/attribute-values";

/** Queue names as declared in wrangler.toml; queue() routes each batch by its queue's name. */
export const QUEUES = {
  send: "flarecast-send",
  events: "flarecast-events",
  sendDeadLetters: "flarecast-send-dlq",
  eventDeadLetters: "flarecast-events-dlq",
  imports: "flarecast-imports",
  importDeadLetters: "flarecast-imports-dlq",
} as const;

/** Dead letters are filed under the queue the message was meant for, not under the dead-letter queue. */
export const DEAD_LETTER_SOURCES: Record<string, string> = {
  [QUEUES.sendDeadLetters]: QUEUES.send,
  [QUEUES.eventDeadLetters]: QUEUES.events,
  [QUEUES.importDeadLetters]: QUEUES.imports,
};

/**
 * Every message body names its `kind`; each consumer holds one handler per kind with the zod schema of that
 * kind's body. A body that fails its schema is dead-lettered at once instead of burning retries.
 */
export const MessageEnvelopeSchema = z.looseObject({
  kind: z.string().min(1),
  workspace_id: z.string().optional(),
});

export type MessageEnvelope = z.infer<typeof MessageEnvelopeSchema>;

/** Must equal `max_retries` of the flarecast-imports consumer in wrangler.toml (deliveries = 1 + retries). */
export const IMPORT_MAX_RETRIES = 3;

/**
 * One chunk of a CSV import (IMPORT_QUEUE): at most 500 rows and well under the 128 KB message limit. Each
 * row is `[row_number, email, name, status, attribute values in the order of attribute_keys]`, "" meaning empty;
 * `attribute_types` says how to read each attribute column (absent in chunks sent before types existed: all auto).
 * `rejected` are rows the request handler could not read (malformed quotes, stray values); the consumer
 * only records them, so every row of the file is reported in exactly one chunk.
 */
export const ImportChunkMessageSchema = z.object({
  kind: z.literal("import_chunk"),
  workspace_id: z.string().min(1),
  import_id: z.string().min(1),
  list_id: z.string().min(1),
  chunk: z.number().int().min(0),
  attribute_keys: z.array(z.string()),
  attribute_types: z.array(z.enum(attributeTypes)).optional(),
  rows: z.array(z.tuple([z.number().int().positive(), z.string(), z.string(), z.string(), z.array(z.string())])).max(500),
  rejected: z.array(z.object({ row: z.number().int().positive(), value: z.string().nullable(), reason: z.string() })),
});

export type ImportChunkMessage = z.infer<typeof ImportChunkMessageSchema>;

/** One recipient of a campaign run or a triggered send (SEND_QUEUE): the consumer claims it before sending. */
export const SendEmailMessageSchema = z.object({
  kind: z.literal("send_email"),
  workspace_id: z.string().min(1),
  campaign_id: z.string().min(1),
  recipient_id: z.string().min(1),
});

export type SendEmailMessage = z.infer<typeof SendEmailMessageSchema>;
