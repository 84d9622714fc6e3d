import { deliverBatch } from "../src/domain/campaigns/deliver";
import { type SendEmailMessage, SendEmailMessageSchema } from "../src/domain/campaigns/send-message";
import { readConfig } from "../src/env";
import type { ConsumerContext } from "./consumer";
import { type DeadMessage, deadLetterMalformed } from "./dead-letters";

/** Backoff when a whole batch failed before any send (D1 or a Durable Object unavailable). */
const BATCH_RETRY_SECONDS = 30;

/**
 * SEND_QUEUE: one recipient per message, delivered as a batch so that routing state and sending capacity are
 * loaded once per batch. The domain code decides each recipient's outcome; this consumer only acks, retries
 * with the delay it was given, or dead-letters what it cannot read.
 */
export async function consumeSendBatch(batch: MessageBatch<unknown>, ctx: ConsumerContext): Promise<void> {
  const valid: { message: Message<unknown>; body: SendEmailMessage }[] = [];
  const malformed: DeadMessage[] = [];
  for (const message of batch.messages) {
    const parsed = SendEmailMessageSchema.safeParse(message.body);
    if (parsed.success) valid.push({ message, body: parsed.data });
    else
      malformed.push({
        message,
        reason: `invalid_message: ${parsed.error.issues.map((i) => `${i.path.join(".") || "(body)"}: ${i.message}`).join("; ")}`,
      });
  }
  await deadLetterMalformed(ctx.db, batch.queue, malformed);
  if (valid.length === 0) return;
  const config = readConfig(ctx.env);
  try {
    const outcomes = await deliverBatch(
      { db: ctx.db, env: ctx.env, urls: config, encryptionKey: config.ENCRYPTION_KEY, fetch: ctx.fetch },
      valid.map((v) => v.body.recipient_id),
    );
    for (const { message, body } of valid) {
      const outcome = outcomes.get(body.recipient_id) ?? { ack: true };
      if (outcome.ack) message.ack();
      else message.retry({ delaySeconds: outcome.delaySeconds });
    }
  } catch (error) {
    console.error(`${batch.queue}: batch of ${valid.length} failed before sending`, error);
    for (const { message } of valid) message.retry({ delaySeconds: BATCH_RETRY_SECONDS });
  }
}
