import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { consumeBatch, type HandlerMap, retryDelaySeconds } from "../../queues/consumer";
import { QUEUES } from "../../queues/messages";
import { createDb } from "../../src/db/client";
import worker from "../../src/index";

const deadLettersFor = (messageId: string) =>
  env.DB.prepare("select * from dead_letters where message_id = ?").bind(messageId).all<Record<string, unknown>>();

describe("dead-letter queue consumers", () => {
  it("record every message that exhausted its retries, under the queue it was meant for", async () => {
    const body = { kind: "deliver", workspace_id: "ws_dead", campaign_id: "cmp_1", recipient_id: "rcp_1" };
    const batch = createMessageBatch<unknown>(QUEUES.sendDeadLetters, [{ id: "msg-dead-1", timestamp: new Date(), attempts: 6, body }]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env);
    const result = await getQueueResult(batch, ctx);
    expect(result.ackAll).toBe(true);

    const { results } = await deadLettersFor("msg-dead-1");
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({
      queue: QUEUES.send,
      workspace_id: "ws_dead",
      attempts: 6,
      reason: "retries_exhausted",
      alerted_at: null,
    });
    expect(JSON.parse(results[0].body as string)).toEqual(body);
  });

  it("store a redelivered dead message once", async () => {
    for (let i = 0; i < 2; i++) {
      const batch = createMessageBatch<unknown>(QUEUES.eventDeadLetters, [
        { id: "msg-dead-2", timestamp: new Date(), attempts: 6, body: "opaque" },
      ]);
      const ctx = createExecutionContext();
      await worker.queue(batch, env);
      await getQueueResult(batch, ctx);
    }
    const { results } = await deadLettersFor("msg-dead-2");
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ queue: QUEUES.events, workspace_id: null });
  });
});

describe("consumeBatch", () => {
  const handled: unknown[] = [];
  const handlers: HandlerMap = {
    ping: {
      schema: z.object({ kind: z.literal("ping"), n: z.number().int() }),
      async handle(body) {
        if ((body as { n: number }).n < 0) throw new Error("provider said 503");
        handled.push(body);
      },
    },
  };

  it("acks handled messages, retries failures with backoff, and dead-letters malformed ones at once", async () => {
    const batch = createMessageBatch<unknown>(QUEUES.send, [
      { id: "ok-1", timestamp: new Date(), attempts: 1, body: { kind: "ping", n: 1 } },
      { id: "fail-1", timestamp: new Date(), attempts: 3, body: { kind: "ping", n: -1 } },
      { id: "bad-shape", timestamp: new Date(), attempts: 1, body: { kind: "ping", n: "one" } },
      { id: "bad-kind", timestamp: new Date(), attempts: 1, body: { kind: "pong" } },
      { id: "no-kind", timestamp: new Date(), attempts: 1, body: 42 },
    ]);
    const retry = vi.spyOn(batch.messages[1], "retry");
    const ctx = createExecutionContext();
    await consumeBatch(batch, handlers, { env, db: createDb(env.DB) });
    const result = await getQueueResult(batch, ctx);

    expect(handled).toEqual([{ kind: "ping", n: 1 }]);
    expect(result.explicitAcks.sort()).toEqual(["bad-kind", "bad-shape", "no-kind", "ok-1"]);
    expect(result.retryMessages.map((m) => m.msgId)).toEqual(["fail-1"]);
    expect(retry).toHaveBeenCalledWith({ delaySeconds: retryDelaySeconds(3) });

    const reasons = await env.DB.prepare(
      "select message_id, reason from dead_letters where queue = ? and reason != 'retries_exhausted' order by message_id",
    )
      .bind(QUEUES.send)
      .all<{ message_id: string; reason: string }>();
    expect(reasons.results.map((r) => r.message_id)).toEqual(["bad-kind", "bad-shape", "no-kind"]);
    expect(reasons.results.find((r) => r.message_id === "bad-shape")?.reason).toMatch(/^invalid_message: n: /);
    expect(reasons.results.find((r) => r.message_id === "bad-kind")?.reason).toBe('unknown_kind: no handler for "pong"');
  });

  it("backs off exponentially up to fifteen minutes", () => {
    expect([1, 2, 3, 4].map(retryDelaySeconds)).toEqual([10, 20, 40, 80]);
    expect(retryDelaySeconds(30)).toBe(900);
  });
});
