import type { ConsumerContext, HandlerMap } from "./consumer";
import { consumeBatch } from "./consumer";

/** Handlers for EVENT_QUEUE message kinds: tracking hits and normalized provider webhook events. */
export const eventHandlers: HandlerMap = {};

export const consumeEventBatch = (batch: MessageBatch<unknown>, ctx: ConsumerContext) => consumeBatch(batch, eventHandlers, ctx);
