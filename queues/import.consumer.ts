import { type ImportChunkMessage, ImportChunkMessageSchema } from "../src/domain/audience/import-chunk-message";
import { failImportChunk, processImportChunk } from "../src/domain/audience/import-chunks";
import { type ConsumerContext, consumeBatch, type HandlerMap } from "./consumer";
import { IMPORT_MAX_RETRIES } from "./messages";

/**
 * Handlers for IMPORT_QUEUE, for a message on its `attempts`-th delivery. On the last delivery a chunk that
 * still fails is recorded as failed row by row (see failImportChunk), so that its import finishes and names
 * the rows to send again; only if even that fails does the message go to the dead-letter queue.
 */
export const importHandlersFor = (attempts: number): HandlerMap => ({
  import_chunk: {
    schema: ImportChunkMessageSchema,
    async handle(body: ImportChunkMessage, ctx: ConsumerContext) {
      try {
        await processImportChunk(ctx.db, body);
      } catch (err) {
        if (attempts <= IMPORT_MAX_RETRIES) throw err;
        console.error(`import ${body.import_id}: chunk ${body.chunk} failed on its last attempt`, err);
        await failImportChunk(ctx.db, body, `${attempts} times (${err instanceof Error ? err.message : String(err)})`);
      }
    },
  },
});

/** Chunks are handled one after another (D1 has one writer); each with the handlers for its own attempt count. */
export async function consumeImportBatch(batch: MessageBatch<unknown>, ctx: ConsumerContext): Promise<void> {
  for (const message of batch.messages) {
    const single: MessageBatch<unknown> = {
      queue: batch.queue,
      metadata: batch.metadata,
      messages: [message],
      ackAll: () => message.ack(),
      retryAll: (options) => message.retry(options),
    };
    await consumeBatch(single, importHandlersFor(message.attempts), ctx);
  }
}
