import { MAX_HITS_PER_MESSAGE, type TrackingHit, type TrackingHits } from "../../domain/events/event-messages";
import { utf8Length } from "../../lib/encoding";

/**
 * How long the first hit of a batch waits for others. The wait is in `waitUntil`, after the answer went out, so
 * no reader waits for it; under load it turns a queue message (a billed Queues operation) per pixel into one per
 * MAX_HITS_PER_MESSAGE from 1,000 pixels a second an isolate on.
 */
export const GATHER_MS = 100;
/** A queue message holds at most 128 KB: kept well under, for the envelope. */
const MAX_MESSAGE_BYTES = 120_000;

interface Gathering {
  hits: TrackingHit[];
  bytes: number;
  sent: Promise<void>;
}

/** The batch still taking hits, per queue binding (the binding is the same object for every request of an isolate). */
const gathering = new WeakMap<Queue, Gathering>();

async function send(queue: Queue, hits: TrackingHit[]): Promise<void> {
  const message: TrackingHits = { kind: "tracking_hits", hits };
  try {
    await queue.send(message, { contentType: "json" });
  } catch (messageError) {
    // One refused hit must not cost the others: each is tried on its own, and only those refused again fail.
    const results = await Promise.allSettled(hits.map((hit) => queue.send(hit, { contentType: "json" })));
    const failed = results.filter((r) => r.status === "rejected").length;
    if (failed > 0) throw new AggregateError([messageError], `${failed} of ${hits.length} tracking hits not queued`);
  }
}

/**
 * Puts a hit on EVENT_QUEUE together with the hits of the other requests this isolate serves within GATHER_MS, in
 * one `tracking_hits` message. The request whose hit opens a batch gets the batch's promise and must keep its
 * context alive on it with `waitUntil`: that context sends the batch, so every hit in it is queued (or logged as
 * failed) as surely as by a send of its own. The requests that join get undefined: they need not wait, and must
 * not, since workerd cancels a `waitUntil` that waits on another request's I/O as hung.
 */
export function queueHit(queue: Queue, hit: TrackingHit): Promise<void> | undefined {
  const bytes = utf8Length(JSON.stringify(hit));
  const open = gathering.get(queue);
  if (open && open.hits.length < MAX_HITS_PER_MESSAGE && open.bytes + bytes <= MAX_MESSAGE_BYTES) {
    open.hits.push(hit);
    open.bytes += bytes;
    return undefined;
  }
  const batch: Gathering = { hits: [hit], bytes, sent: Promise.resolve() };
  batch.sent = new Promise<void>((resolve) => setTimeout(resolve, GATHER_MS)).then(() => {
    if (gathering.get(queue) === batch) gathering.delete(queue);
    return send(queue, batch.hits);
  });
  gathering.set(queue, batch);
  return batch.sent;
}
