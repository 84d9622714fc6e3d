import type { ConsumerContext, HandlerMap } from "./consumer";
import { consumeBatch } from "./consumer";

/** Handlers for SEND_QUEUE message kinds. The campaign engine registers its per-recipient delivery here. */
export const sendHandlers: HandlerMap = {};

export const consumeSendBatch = (batch: MessageBatch<unknown>, ctx: ConsumerContext) => consumeBatch(batch, sendHandlers, ctx);
