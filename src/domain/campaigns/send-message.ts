import { z } from "zod";
import { chunk } from "../../lib/chunk";

/** One recipient of a campaign run or a triggered send (SEND_QUEUE): the consumer claims it before sending. */
export const SendEmailMessageSchema = z.object({
  kind: z.literal("send_email"),
  workspace_id: z.string().min(1),
  campaign_id: z.string().min(1),
  recipient_id: z.string().min(1),
});

export type SendEmailMessage = z.infer<typeof SendEmailMessageSchema>;

/** Queues accept at most 100 messages per sendBatch. */
const SEND_BATCH_MESSAGES = 100;

/** Puts messages on SEND_QUEUE, a sendBatch per 100; the shape of `TriggerDeps.enqueueSends`. */
export const sendQueueEnqueuer = (queue: Queue) => async (messages: SendEmailMessage[], delaySeconds: number) => {
  for (const part of chunk(messages, SEND_BATCH_MESSAGES)) {
    await queue.sendBatch(part.map((body) => ({ body, delaySeconds, contentType: "json" as const })));
  }
};
