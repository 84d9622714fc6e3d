import { applyEvents } from "../src/domain/events/cascade";
import { type EventMessage, EventQueueMessageSchema } from "../src/domain/events/event-messages";
import type { ConsumerContext } from "./consumer";
import { retryDelaySeconds } from "./consumer";
import { type DeadMessage, deadLetterMalformed } from "./dead-letters";

/**
 * The most events one `applyEvents` takes. A batch of `tracking_hits` messages can hold 10,000 hits; the cascade
 * binds its rows as one JSON parameter, a string D1 caps at 2 MB, and a hit's row is at most about 4.5 KB (a 3 KB
 * link and a 1 KB user agent).
 */
export const MAX_EVENTS_PER_APPLY = 300;

/** The messages in order, in groups of at most `limit` events; a message is never split. */
export function eventGroups<T extends { events: readonly unknown[] }>(valid: readonly T[], limit = MAX_EVENTS_PER_APPLY): T[][] {
  const out: T[][] = [];
  let current: T[] = [];
  let size = 0;
  for (const v of valid) {
    if (current.length > 0 && size + v.events.length > limit) {
      out.push(current);
      current = [];
      size = 0;
    }
    current.push(v);
    size += v.events.length;
  }
  if (current.length > 0) out.push(current);
  return out;
}

/**
 * EVENT_QUEUE carries tracking hits (one per message, or up to a hundred in a `tracking_hits` message) and
 * normalized provider events. Unlike the send queue, events are applied in groups (a few D1 round trips for up to
 * MAX_EVENTS_PER_APPLY events, not a few per event): malformed bodies are dead-lettered at once, and if applying a
 * group fails its messages are retried; redelivered events then change nothing.
 */
export async function consumeEventBatch(batch: MessageBatch<unknown>, ctx: ConsumerContext): Promise<void> {
  const malformed: DeadMessage[] = [];
  const valid: { message: Message<unknown>; events: EventMessage[] }[] = [];
  for (const message of batch.messages) {
    const parsed = EventQueueMessageSchema.safeParse(message.body);
    if (parsed.success) valid.push({ message, events: parsed.data.kind === "tracking_hits" ? parsed.data.hits : [parsed.data] });
    else {
      const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "(body)"}: ${i.message}`).join("; ");
      malformed.push({ message, reason: `invalid_message: ${issues}` });
    }
  }
  await deadLetterMalformed(ctx.db, batch.queue, malformed);
  for (const group of eventGroups(valid)) {
    const events = group.flatMap((v) => v.events);
    try {
      await applyEvents(ctx.db, ctx.env, events);
      for (const { message } of group) message.ack();
    } catch (err) {
      console.error(`${batch.queue}: a group of ${events.length} events failed`, err);
      for (const { message } of group) message.retry({ delaySeconds: retryDelaySeconds(message.attempts) });
    }
  }
}
