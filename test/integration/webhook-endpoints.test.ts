import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { Webhook } from "standardwebhooks";
import { afterEach, describe, expect, it, vi } from "vitest";
import { QUEUES } from "../../queues/messages";
import { createDb } from "../../src/db/client";
import { webhookDeliveries, webhookEndpoints } from "../../src/db/schema";
import { WEBHOOK_MAX_ATTEMPTS, WEBHOOK_RETRY_DELAYS_SECONDS } from "../../src/domain/webhooks-out/deliver";
import type { WebhookDeliveryMessage } from "../../src/domain/webhooks-out/delivery-message";
import { queueOutgoingWebhooks } from "../../src/domain/webhooks-out/dispatch";
import { checkEndpointUrl } from "../../src/domain/webhooks-out/endpoints";
import type { OutgoingEvent } from "../../src/domain/webhooks-out/outgoing-event";
import worker from "../../src/index";
import { api, createWorkspace } from "../factories/api";

const db = createDb(env.DB);
const RECEIVER = "https://receiver.example/hooks";

afterEach(() => {
  vi.restoreAllMocks();
});

async function workspace() {
  const { workspace, key } = await createWorkspace();
  const base = `/workspaces/${workspace.id}/webhook-endpoints`;
  const call = (suffix: string, method = "GET", body?: unknown) => api(`${base}${suffix}`, { method, token: key, body });
  return { workspace, key, base, call };
}

async function endpointIn(call: Awaited<ReturnType<typeof workspace>>["call"], body: Record<string, unknown> = {}) {
  const res = await call("", "POST", { url: RECEIVER, ...body });
  expect(res.status, res.text).toBe(201);
  return res.json as { id: string; secret: string };
}

/** Stands in for WEBHOOK_QUEUE: the messages are collected, not delivered. */
function captureWebhookQueue() {
  const messages: WebhookDeliveryMessage[] = [];
  vi.spyOn(env.WEBHOOK_QUEUE, "sendBatch").mockImplementation(async (batch) => {
    for (const m of batch) messages.push(structuredClone(m.body) as WebhookDeliveryMessage);
    return { metadata: { metrics: { backlogCount: messages.length, backlogBytes: 0 } } };
  });
  return messages;
}

interface Received {
  url: string;
  init: RequestInit;
  headers: Record<string, string>;
  body: string;
}

/** Stands in for the receiver: answers each request with the next of `responses` (the last one repeats). */
function receiver(...responses: (() => Response | Promise<Response>)[]) {
  const received: Received[] = [];
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const headers = Object.fromEntries(new Headers(init?.headers).entries());
    received.push({ url: String(input), init: init ?? {}, headers, body: String(init?.body) });
    return (responses[received.length - 1] ?? responses.at(-1))!();
  });
  return received;
}

let messageCounter = 0;

/**
 * Delivers WEBHOOK_QUEUE messages to the Worker's queue() handler the way the Queues runtime would; `delays` are the
 * delaySeconds each retried message asked for.
 */
async function deliver(messages: WebhookDeliveryMessage[], attempts = 1) {
  const batch = createMessageBatch<unknown>(
    QUEUES.webhooks,
    messages.map((body) => ({ id: `webhook-msg-${++messageCounter}`, timestamp: new Date(), attempts, body })),
  );
  const retries = batch.messages.map((message) => vi.spyOn(message, "retry"));
  const ctx = createExecutionContext();
  await worker.queue(batch, env);
  const result = await getQueueResult(batch, ctx);
  return { ...result, delays: retries.flatMap((retry) => retry.mock.calls.map(([options]) => options?.delaySeconds)) };
}

const deliveryRow = async (id: string) => (await db.select().from(webhookDeliveries).where(eq(webhookDeliveries.id, id)))[0];

describe("webhook endpoints API", () => {
  it("creates, reads, lists, updates and deletes an endpoint; the secret appears only on creation", async () => {
    const { call } = await workspace();
    const created = await call("", "POST", { url: RECEIVER, description: "CRM", event_types: ["email.bounced", "email.complained"] });
    expect(created.status, created.text).toBe(201);
    expect(created.json).toMatchObject({
      url: RECEIVER,
      description: "CRM",
      event_types: ["email.bounced", "email.complained"],
      enabled: true,
      previous_secret_expires_at: null,
    });
    expect(created.json.secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    const { id, secret } = created.json;

    const stored = (await db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, id)))[0];
    expect(stored.secret).not.toContain(secret.slice("whsec_".length));

    const read = await call(`/${id}`);
    expect(read.status).toBe(200);
    expect(read.json.id).toBe(id);
    const patched = await call(`/${id}`, "PATCH", { enabled: false, event_types: [], description: null });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.json).toMatchObject({ enabled: false, event_types: [], description: null, url: RECEIVER });
    const listed = await call("?limit=1");
    expect(listed.status).toBe(200);
    expect(listed.json.data.map((e: { id: string }) => e.id)).toEqual([id]);
    for (const res of [read, patched, listed]) {
      expect(res.text).not.toContain(secret);
      expect(res.text).not.toContain('"secret"');
    }

    expect((await call(`/${id}`, "DELETE")).status).toBe(204);
    expect((await call(`/${id}`)).status).toBe(404);
  });

  it("refuses bad input with the path of each field and changes nothing", async () => {
    const { call } = await workspace();
    const cases: [unknown, string][] = [
      [{ url: "http://receiver.example/hooks" }, "url"],
      [{ url: "http://localhost:9000/hooks" }, "url"],
      [{ url: "ftp://receiver.example/hooks" }, "url"],
      [{ url: "not a url" }, "url"],
      [{ url: RECEIVER, event_types: ["email.delivered", "email.exploded"] }, "event_types.1"],
      [{ url: RECEIVER, enabled: "yes" }, "enabled"],
      [{ url: RECEIVER, secret: "whsec_mine" }, "secret"],
    ];
    for (const [body, path] of cases) {
      const res = await call("", "POST", body);
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect(res.headers.get("content-type")).toContain("application/problem+json");
      expect(res.json.errors.map((e: { path: string }) => e.path)).toContain(path);
    }
    expect((await call("")).json.data).toEqual([]);

    const { id } = await endpointIn(call);
    const badUrl = await call(`/${id}`, "PATCH", { url: "http://receiver.example/other" });
    expect(badUrl.status).toBe(422);
    expect(badUrl.json.errors[0].path).toBe("url");
    const badType = await call(`/${id}`, "PATCH", { event_types: ["webhook.test"] });
    expect(badType.status).toBe(422);
    expect(badType.json.errors[0].path).toBe("event_types.0");
    expect((await call(`/${id}`)).json.url).toBe(RECEIVER);
  });

  it("takes http only for localhost and 127.0.0.1, and only when WEBHOOK_ALLOW_LOCAL_HTTP allows it", () => {
    expect(() => checkEndpointUrl("http://localhost:9000/hooks", true)).not.toThrow();
    expect(() => checkEndpointUrl("http://127.0.0.1/hooks", true)).not.toThrow();
    expect(() => checkEndpointUrl("http://localhost:9000/hooks", false)).toThrow(/https/);
    expect(() => checkEndpointUrl("http://10.0.0.1/hooks", true)).toThrow(/https/);
    expect(() => checkEndpointUrl("http://localhost.evil.example/hooks", true)).toThrow(/https/);
  });

  it("answers 404 for another workspace's endpoint on every route", async () => {
    const owner = await workspace();
    const { id } = await endpointIn(owner.call);
    const other = await workspace();
    captureWebhookQueue();
    const attempts: [string, string, unknown?][] = [
      [`/${id}`, "GET"],
      [`/${id}`, "PATCH", { enabled: false }],
      [`/${id}`, "DELETE"],
      [`/${id}/rotate-secret`, "POST"],
      [`/${id}/deliveries`, "GET"],
      [`/${id}/test`, "POST"],
    ];
    for (const [suffix, method, body] of attempts) {
      const res = await other.call(suffix, method, body);
      expect(res.status, `${method} ${suffix}`).toBe(404);
    }
    const stillThere = await owner.call(`/${id}`);
    expect(stillThere.json).toMatchObject({ enabled: true, previous_secret_expires_at: null });
    expect((await owner.call(`/${id}/deliveries`)).json.data).toEqual([]);
  });
});

describe("delivering webhooks", () => {
  it("signs a test event per Standard Webhooks, so the standardwebhooks package verifies it", async () => {
    const { call } = await workspace();
    const { id, secret } = await endpointIn(call, { event_types: ["email.bounced"] });
    const queued = captureWebhookQueue();
    const test = await call(`/${id}/test`, "POST");
    expect(test.status, test.text).toBe(202);
    expect(test.json).toMatchObject({ endpoint_id: id, event_type: "webhook.test", status: "pending", attempts: 0 });
    expect(queued).toEqual([{ kind: "webhook_delivery", delivery_id: test.json.id }]);

    const received = receiver(() => new Response("ok"));
    const result = await deliver(queued);
    expect(result.explicitAcks).toHaveLength(1);
    expect(received).toHaveLength(1);
    const [request] = received;
    expect(request.url).toBe(RECEIVER);
    expect(request.init.method).toBe("POST");
    expect(request.headers["webhook-id"]).toBe(test.json.id);
    expect(request.headers["content-type"]).toBe("application/json");
    const verified = new Webhook(secret).verify(request.body, request.headers) as { type: string; timestamp: string; data: unknown };
    expect(verified).toMatchObject({ type: "webhook.test", data: { endpoint_id: id } });
    expect(() => new Webhook(secret).verify(request.body.replace("test event", "tost event"), request.headers)).toThrow();

    const listed = await call(`/${id}/deliveries`);
    expect(listed.json.data[0]).toMatchObject({ id: test.json.id, status: "succeeded", attempts: 1, last_status_code: 200 });
    expect(listed.json.data[0].delivered_at).toEqual(expect.any(String));
    expect(listed.json.data[0].attempt_log).toEqual([
      { attempted_at: expect.any(String), status_code: 200, error: null, duration_ms: expect.any(Number) },
    ]);
  });

  it("retries failures with growing delays, records every attempt, and fails the delivery after the last one", async () => {
    const { call } = await workspace();
    const { id } = await endpointIn(call);
    const queued = captureWebhookQueue();
    const deliveryId = (await call(`/${id}/test`, "POST")).json.id as string;

    const received = receiver(
      () => new Response("upstream down", { status: 503 }),
      () => new Response(null, { status: 302, headers: { location: "https://elsewhere.example/" } }),
      () => Promise.reject(new DOMException("The operation timed out.", "TimeoutError")),
    );
    const first = await deliver(queued, 1);
    expect(first.retryMessages).toHaveLength(1);
    expect(first.delays).toEqual([WEBHOOK_RETRY_DELAYS_SECONDS[0]]);
    const second = await deliver(queued, 2);
    expect(second.delays).toEqual([WEBHOOK_RETRY_DELAYS_SECONDS[1]]);
    expect(received[1].init.redirect).toBe("manual");
    const third = await deliver(queued, 3);
    expect(third.delays).toEqual([WEBHOOK_RETRY_DELAYS_SECONDS[2]]);
    expect(WEBHOOK_RETRY_DELAYS_SECONDS[2]).toBeGreaterThan(WEBHOOK_RETRY_DELAYS_SECONDS[1]);

    const pending = await deliveryRow(deliveryId);
    expect(pending).toMatchObject({ status: "pending", attempts: 3, last_status_code: null, delivered_at: null });
    expect(pending.next_attempt_at).toEqual(expect.any(String));

    await db
      .update(webhookDeliveries)
      .set({ attempts: WEBHOOK_MAX_ATTEMPTS - 1 })
      .where(eq(webhookDeliveries.id, deliveryId));
    const last = await deliver(queued, WEBHOOK_MAX_ATTEMPTS);
    expect(last.retryMessages).toEqual([]);
    expect(last.explicitAcks).toHaveLength(1);
    expect(await deliveryRow(deliveryId)).toMatchObject({ status: "failed", attempts: WEBHOOK_MAX_ATTEMPTS, next_attempt_at: null });

    const again = await deliver(queued, WEBHOOK_MAX_ATTEMPTS + 1);
    expect(again.explicitAcks).toHaveLength(1);
    expect(received).toHaveLength(4);

    const listed = await call(`/${id}/deliveries`);
    expect(listed.json.data[0].attempt_log.map((a: { status_code: number | null; error: string }) => [a.status_code, a.error])).toEqual([
      [503, "HTTP 503: upstream down"],
      [302, "redirect to https://elsewhere.example/ not followed"],
      [null, "no response within 10 s"],
      [null, "no response within 10 s"],
    ]);
  });

  it("signs with both secrets for a day after a rotation, then with the new one alone", async () => {
    const { call } = await workspace();
    const { id, secret: oldSecret } = await endpointIn(call);
    const rotated = await call(`/${id}/rotate-secret`, "POST");
    expect(rotated.status, rotated.text).toBe(200);
    const newSecret = rotated.json.secret as string;
    expect(newSecret).toMatch(/^whsec_/);
    expect(newSecret).not.toBe(oldSecret);
    const expiresIn = Date.parse(rotated.json.previous_secret_expires_at) - Date.now();
    expect(expiresIn).toBeGreaterThan(23 * 3600_000);
    expect(expiresIn).toBeLessThanOrEqual(24 * 3600_000);
    expect((await call(`/${id}`)).text).not.toContain(newSecret);

    const queued = captureWebhookQueue();
    await call(`/${id}/test`, "POST");
    const received = receiver(() => new Response(null, { status: 204 }));
    await deliver(queued);
    expect(received[0].headers["webhook-signature"].split(" ")).toHaveLength(2);
    expect(new Webhook(newSecret).verify(received[0].body, received[0].headers)).toMatchObject({ type: "webhook.test" });
    expect(new Webhook(oldSecret).verify(received[0].body, received[0].headers)).toMatchObject({ type: "webhook.test" });

    await db
      .update(webhookEndpoints)
      .set({ previous_secret_expires_at: new Date(Date.now() - 1000).toISOString() })
      .where(eq(webhookEndpoints.id, id));
    queued.length = 0;
    await call(`/${id}/test`, "POST");
    await deliver(queued);
    expect(received[1].headers["webhook-signature"].split(" ")).toHaveLength(1);
    expect(new Webhook(newSecret).verify(received[1].body, received[1].headers)).toMatchObject({ type: "webhook.test" });
    expect(() => new Webhook(oldSecret).verify(received[1].body, received[1].headers)).toThrow();
  });

  it("drops a queued delivery whose endpoint was deleted and fails one whose endpoint was disabled", async () => {
    const { call } = await workspace();
    const queued = captureWebhookQueue();
    const deleted = await endpointIn(call);
    await call(`/${deleted.id}/test`, "POST");
    const disabled = await endpointIn(call);
    const disabledDelivery = (await call(`/${disabled.id}/test`, "POST")).json.id as string;
    expect((await call(`/${disabled.id}/test`, "POST", undefined)).status).toBe(202);
    await call(`/${deleted.id}`, "DELETE");
    await call(`/${disabled.id}`, "PATCH", { enabled: false });
    expect((await call(`/${disabled.id}/test`, "POST")).status).toBe(409);

    const received = receiver(() => new Response("ok"));
    const result = await deliver(queued.slice(0, 2));
    expect(result.explicitAcks).toHaveLength(2);
    expect(received).toHaveLength(0);
    expect(await deliveryRow(disabledDelivery)).toMatchObject({ status: "failed", last_error: "endpoint disabled" });
  });

  it("dead-letters a malformed message at once, and files dead webhook messages under flarecast-webhooks", async () => {
    const malformed = await deliver([{ kind: "webhook_delivery" } as unknown as WebhookDeliveryMessage]);
    expect(malformed.explicitAcks).toHaveLength(1);
    const batch = createMessageBatch<unknown>(QUEUES.webhookDeadLetters, [
      { id: "webhook-dead-1", timestamp: new Date(), attempts: 13, body: { kind: "webhook_delivery", delivery_id: "whd_gone" } },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env);
    expect((await getQueueResult(batch, ctx)).ackAll).toBe(true);
    const { results } = await env.DB.prepare("select message_id, queue, reason from dead_letters where queue = ? order by message_id")
      .bind(QUEUES.webhooks)
      .all();
    expect(results).toEqual([
      { message_id: "webhook-dead-1", queue: QUEUES.webhooks, reason: "retries_exhausted" },
      { message_id: expect.stringMatching(/^webhook-msg-/), queue: QUEUES.webhooks, reason: expect.stringMatching(/^invalid_message/) },
    ]);
  });

  it("lists deliveries newest first, a cursor page at a time", async () => {
    const { call } = await workspace();
    const { id } = await endpointIn(call);
    captureWebhookQueue();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await call(`/${id}/test`, "POST")).json.id);
    const first = await call(`/${id}/deliveries?limit=2`);
    expect(first.json.data.map((d: { id: string }) => d.id)).toEqual([ids[2], ids[1]]);
    const second = await call(`/${id}/deliveries?limit=2&cursor=${first.json.next_cursor}`);
    expect(second.json.data.map((d: { id: string }) => d.id)).toEqual([ids[0]]);
    expect(second.json.next_cursor).toBeNull();
    expect((await call(`/${id}/deliveries?cursor=%%%`)).status).toBe(422);
  });
});

describe("queueOutgoingWebhooks", () => {
  const event = (workspaceId: string, type: OutgoingEvent["type"], data: Record<string, unknown> = {}): OutgoingEvent => ({
    workspace_id: workspaceId,
    type,
    occurred_at: "2026-12-05T01:02:03.000Z",
    data: { campaign_id: "cmp_1", recipient_id: "rcp_1", ...data },
  });

  it("makes one delivery per event and enabled endpoint that wants its type, in its own workspace", async () => {
    const a = await workspace();
    const b = await workspace();
    const all = await endpointIn(a.call);
    const bounces = await endpointIn(a.call, { event_types: ["email.bounced"] });
    await endpointIn(a.call, { enabled: false });
    const other = await endpointIn(b.call, { event_types: ["email.delivered"] });
    const queued = captureWebhookQueue();

    await queueOutgoingWebhooks(db, env, [
      event(a.workspace.id, "email.delivered"),
      event(a.workspace.id, "email.bounced", { bounce_type: "hard" }),
      event(b.workspace.id, "email.delivered"),
      event(b.workspace.id, "email.opened"),
    ]);

    const rows = await db.select().from(webhookDeliveries);
    const ours = rows.filter((r) => [all.id, bounces.id, other.id].includes(r.endpoint_id));
    expect(ours.map((r) => [r.endpoint_id, r.event_type]).sort()).toEqual(
      [
        [all.id, "email.delivered"],
        [all.id, "email.bounced"],
        [bounces.id, "email.bounced"],
        [other.id, "email.delivered"],
      ].sort(),
    );
    expect(ours.every((r) => r.status === "pending" && r.attempts === 0)).toBe(true);
    expect(ours.find((r) => r.endpoint_id === bounces.id)?.payload).toEqual({
      type: "email.bounced",
      timestamp: "2026-12-05T01:02:03.000Z",
      data: { campaign_id: "cmp_1", recipient_id: "rcp_1", bounce_type: "hard" },
    });
    expect(ours.find((r) => r.endpoint_id === other.id)?.workspace_id).toBe(b.workspace.id);
    expect(queued.map((m) => m.delivery_id).sort()).toEqual(ours.map((r) => r.id).sort());
  });

  it("sees an endpoint change made through this isolate at once, despite its cache", async () => {
    const { workspace: ws, call } = await workspace();
    const { id } = await endpointIn(call);
    const queued = captureWebhookQueue();
    await queueOutgoingWebhooks(db, env, [event(ws.id, "email.opened")]);
    expect(queued).toHaveLength(1);

    await call(`/${id}`, "PATCH", { event_types: ["email.clicked"] });
    await queueOutgoingWebhooks(db, env, [event(ws.id, "email.opened")]);
    expect(queued).toHaveLength(1);
    const added = await endpointIn(call);
    await queueOutgoingWebhooks(db, env, [event(ws.id, "email.clicked")]);
    expect(queued).toHaveLength(3);
    await call(`/${added.id}`, "DELETE");
    await queueOutgoingWebhooks(db, env, [event(ws.id, "email.clicked")]);
    expect(queued).toHaveLength(4);
  });

  it("does nothing for a workspace without endpoints", async () => {
    const { workspace: ws } = await workspace();
    const sendBatch = vi.spyOn(env.WEBHOOK_QUEUE, "sendBatch");
    await queueOutgoingWebhooks(db, env, [event(ws.id, "email.sent")]);
    await queueOutgoingWebhooks(db, env, []);
    expect(sendBatch).not.toHaveBeenCalled();
  });
});
