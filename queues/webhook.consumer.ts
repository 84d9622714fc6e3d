import { attemptDelivery, type DeliverContext } from "../src/domain/webhooks-out/deliver";
import { WebhookDeliveryMessageSchema } from "../src/domain/webhooks-out/delivery-message";
import { readConfig } from "../src/env";
import { type ConsumerContext, retryDelaySeconds } from "./consumer";
import { type DeadMessage, deadLetterMalformed } from "./dead-letters";

/**
 * WEBHOOK_QUEUE consumer: one delivery attempt per message. The back-off is the delivery's own
 * (WEBHOOK_RETRY_DELAYS_SECONDS), counted by the attempts recorded on it, not by the queue's redeliveries; an error
 * before the attempt is recorded (D1 unavailable) retries with the queue's usual back-off.
 */
export async function consumeWebhookBatch(batch: MessageBatch<unknown>, ctx: ConsumerContext): Promise<void> {
  const deliverContext = {
    db: ctx.db,
    encryptionKey: readConfig(ctx.env).ENCRYPTION_KEY,
    fetch: ctx.fetch ?? ((input, init) => fetch(input, init)),
  } satisfies DeliverContext;
  const malformed: DeadMessage[] = [];
  await Promise.all(
    batch.messages.map(async (message) => {
      const parsed = WebhookDeliveryMessageSchema.safeParse(message.body);
      if (!parsed.success) {
        malformed.push({ message, reason: "invalid_message: not a webhook_delivery" });
        return;
      }
      try {
        const outcome = await attemptDelivery(deliverContext, parsed.data.delivery_id);
        if (outcome.kind === "retry") message.retry({ delaySeconds: outcome.delaySeconds });
        else message.ack();
      } catch (err) {
        console.error(`${batch.queue}: message ${message.id} failed (attempt ${message.attempts})`, err);
        message.retry({ delaySeconds: retryDelaySeconds(message.attempts) });
      }
    }),
  );
  await deadLetterMalformed(ctx.db, batch.queue, malformed);
}
