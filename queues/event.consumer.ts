import { applyEvents } from "../src/domain/events/cascade";
import { type EventMessage, EventMessageSchema } from "../src/domain/events/event-messages";
import type { ConsumerContext } from "./consumer";
import { retryDelaySeconds } from "./consumer";
import { type DeadMessage, deadLetterMalformed } from "./dead-letters";

/**
 * EVENT_QUEUE carries tracking hits and normalized provider events. Unlike the send queue, the batch is applied as
 * a whole (a few D1 round trips for up to 100 events, not a few per event): malformed bodies are dead-lettered at
 * once, and if applying the rest fails they are all retried; redelivered events then change nothing.
 */
export async function consumeEventBatch(batch: MessageBatch<unknown>, ctx: ConsumerContext): Promise<void> {
  const malformed: DeadMessage[] = [];
  const valid: { message: Message<unknown>; event: EventMessage }[] = [];
  for (const message of batch.messages) {
    const parsed = EventMessageSchema.safeParse(message.body);
    if (parsed.success) valid.push({ message, event: parsed.data });
    else {
      const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "(body)"}: ${i.message}`).join("; ");
      malformed.push({ message, reason: `invalid_message: ${issues}` });
    }
  }
  await deadLetterMalformed(ctx.db, batch.queue, malformed);
  if (valid.length === 0) return;
  try {
    await applyEvents(
      ctx.db,
      ctx.env,
      valid.map((v) => v.event),
    );
    for (const { message } of valid) message.ack();
  } catch (err) {
    console.error(`${batch.queue}: a batch of ${valid.length} events failed`, err);
    for (const { message } of valid) message.retry({ delaySeconds: retryDelaySeconds(message.attempts) });
  }
}
