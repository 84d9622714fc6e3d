import type { ConsumerContext } from "./consumer";
import { recordDeadLetters } from "./dead-letters";
import { DEAD_LETTER_SOURCES } from "./messages";

/**
 * Consumer of both dead-letter queues: writes every message that exhausted its retries to D1, where the
 * alert_dead_letters job raises it to operators. If D1 is down the batch throws and is delivered again.
 */
export async function consumeDeadLetterBatch(batch: MessageBatch<unknown>, ctx: ConsumerContext): Promise<void> {
  await recordDeadLetters(
    ctx.db,
    DEAD_LETTER_SOURCES[batch.queue] ?? batch.queue,
    batch.messages.map((message) => ({ message, reason: "retries_exhausted" })),
  );
  batch.ackAll();
}
