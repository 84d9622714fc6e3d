import type { z } from "zod";
import type { Database } from "../src/db/client";
import { type DeadMessage, deadLetterMalformed } from "./dead-letters";
import { MessageEnvelopeSchema } from "./messages";

export interface ConsumerContext {
  env: Env;
  db: Database;
  /** The fetch provider clients use; tests hand in their own. */
  fetch?: typeof fetch;
}

export interface MessageHandler<T> {
  schema: z.ZodType<T>;
  handle(body: T, ctx: ConsumerContext): Promise<void>;
}

// biome-ignore lint/suspicious/noExplicitAny: each handler takes its own message type; the map only routes by kind.
export type HandlerMap = Readonly<Record<string, MessageHandler<any>>>;

const MAX_BACKOFF_SECONDS = 15 * 60;

/** Exponential backoff: 10 s, 20 s, 40 s … capped at 15 minutes. */
export const retryDelaySeconds = (attempts: number) => Math.min(MAX_BACKOFF_SECONDS, 10 * 2 ** Math.max(0, attempts - 1));

function parse(body: unknown, handlers: HandlerMap): { handler: MessageHandler<unknown>; data: unknown } | { reason: string } {
  const envelope = MessageEnvelopeSchema.safeParse(body);
  if (!envelope.success) return { reason: "invalid_message: the body has no kind" };
  const handler = handlers[envelope.data.kind];
  if (!handler) return { reason: `unknown_kind: no handler for "${envelope.data.kind}"` };
  const parsed = handler.schema.safeParse(body);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "(body)"}: ${i.message}`).join("; ");
    return { reason: `invalid_message: ${issues}` };
  }
  return { handler, data: parsed.data };
}

/**
 * Processes a batch message by message: valid messages go to their kind's handler and are retried with
 * backoff when it throws (the queue dead-letters them after max_retries); malformed ones are recorded as
 * dead letters straight away, since retrying cannot fix them.
 */
export async function consumeBatch(batch: MessageBatch<unknown>, handlers: HandlerMap, ctx: ConsumerContext): Promise<void> {
  const malformed: DeadMessage[] = [];
  for (const message of batch.messages) {
    const parsed = parse(message.body, handlers);
    if ("reason" in parsed) {
      malformed.push({ message, reason: parsed.reason });
      continue;
    }
    try {
      await parsed.handler.handle(parsed.data, ctx);
      message.ack();
    } catch (err) {
      console.error(`${batch.queue}: message ${message.id} failed (attempt ${message.attempts})`, err);
      message.retry({ delaySeconds: retryDelaySeconds(message.attempts) });
    }
  }
  await deadLetterMalformed(ctx.db, batch.queue, malformed);
}
