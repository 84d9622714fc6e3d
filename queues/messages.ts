import { z } from "zod";

/** Queue names as declared in wrangler.toml; queue() routes each batch by its queue's name. */
export const QUEUES = {
  send: "flarecast-send",
  events: "flarecast-events",
  sendDeadLetters: "flarecast-send-dlq",
  eventDeadLetters: "flarecast-events-dlq",
  imports: "flarecast-imports",
  importDeadLetters: "flarecast-imports-dlq",
  webhooks: "flarecast-webhooks",
  webhookDeadLetters: "flarecast-webhooks-dlq",
  automation: "flarecast-automation",
  automationDeadLetters: "flarecast-automation-dlq",
} as const;

/** Dead letters are filed under the queue the message was meant for, not under the dead-letter queue. */
export const DEAD_LETTER_SOURCES: Record<string, string> = {
  [QUEUES.sendDeadLetters]: QUEUES.send,
  [QUEUES.eventDeadLetters]: QUEUES.events,
  [QUEUES.importDeadLetters]: QUEUES.imports,
  [QUEUES.webhookDeadLetters]: QUEUES.webhooks,
  [QUEUES.automationDeadLetters]: QUEUES.automation,
};

/**
 * The bodies the domain produces and consumes are defined next to the code that reads them
 * (src/domain/audience/import-chunk-message.ts, src/domain/campaigns/send-message.ts), so that domain code never
 * imports from here; this file names the queues and the envelope every body shares.
 *
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
