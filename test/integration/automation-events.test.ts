import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { and, eq } from "drizzle-orm";
import { afterEach, describe, expect, it, vi } from "vitest";
import { consumeAutomationBatch } from "../../queues/automation.consumer";
import { QUEUES } from "../../queues/messages";
import { createDb } from "../../src/db/client";
import { automationEvents, automationRuleRuns, emailCampaigns, subscribers } from "../../src/db/schema";
import { newId } from "../../src/lib/ids";
import { createWorkspace } from "../factories/api";
import { automationWorkspace, captureAutomationQueue, captured, deliver } from "../factories/automation";
import { campaignWorkspace, db } from "../factories/campaigns";

afterEach(() => vi.restoreAllMocks());

const subscriberByEmail = (workspaceId: string, email: string) =>
  db
    .select()
    .from(subscribers)
    .where(and(eq(subscribers.workspace_id, workspaceId), eq(subscribers.email, email)))
    .get();

describe("POST .../events", () => {
  it("accepts one event and a batch with 202 and the ids, writing nothing until the consumer processes them", async () => {
    const ws = await automationWorkspace();
    const { queued, sendBatch } = captureAutomationQueue();

    const single = await ws.events({
      type: "user.first_login",
      user: { id: "u-1", email: "Ada@Example.com", name: "Ada L", attributes: { plan: "pro" } },
    });
    expect(single.status, single.text).toBe(202);
    expect(single.json).toEqual({ accepted: 1, ids: [expect.stringMatching(/^evt_/)] });

    const batch = await ws.events({
      events: [
        { id: "e-2", type: "user.profile_completed", user: { id: "u-1", email: "ada@example.com", attributes: { company: "Acme" } } },
        { id: "e-3", type: "custom.signup-step", occurred_at: "2026-12-01T10:00:00+01:00", user: { id: "u-2", email: "new@example.com" } },
      ],
    });
    expect(batch.status, batch.text).toBe(202);
    expect(batch.json).toEqual({ accepted: 2, ids: ["e-2", "e-3"] });
    expect(sendBatch).toHaveBeenCalledTimes(2);
    expect(queued.map((m) => m.event.id)).toEqual([single.json.ids[0], "e-2", "e-3"]);
    expect((await ws.marketing("/events/e-2")).status).toBe(404);

    const result = await deliver(queued);
    expect(result.explicitAcks).toHaveLength(3);
    expect(result.retryMessages).toEqual([]);

    const ada = await subscriberByEmail(ws.workspace.id, "ada@example.com");
    expect(ada).toMatchObject({ name: "Ada L", external_id: "u-1", attributes: { first_name: "Ada", plan: "pro", company: "Acme" } });
    const created = await subscriberByEmail(ws.workspace.id, "new@example.com");
    expect(created).toMatchObject({ external_id: "u-2", status: "active", attributes: {} });

    const stored = await ws.marketing("/events/e-3");
    expect(stored.json).toMatchObject({
      id: "e-3",
      type: "custom.signup-step",
      occurred_at: "2026-12-01T09:00:00.000Z",
      status: "processed",
      subscriber_id: created?.id,
      error: null,
    });
  });

  it("finds the subscriber by user.id first, so a changed address follows the user", async () => {
    const ws = await automationWorkspace();
    const { queued } = captureAutomationQueue();
    await ws.events({ id: "a-1", type: "user.first_login", user: { id: "u-9", email: "old@example.com", attributes: { plan: "free" } } });
    await deliver(queued.splice(0));
    const before = await subscriberByEmail(ws.workspace.id, "old@example.com");
    await ws.events({
      id: "a-2",
      type: "user.profile_completed",
      user: { id: "u-9", email: "renamed@example.com", attributes: { plan: "pro" } },
    });
    await deliver(queued.splice(0));
    expect(await subscriberByEmail(ws.workspace.id, "old@example.com")).toBeUndefined();
    expect(await subscriberByEmail(ws.workspace.id, "renamed@example.com")).toMatchObject({ id: before?.id, attributes: { plan: "pro" } });
  });

  it("makes the sends of a batch's events together: one recipient each, put on the send queue in one call", async () => {
    const ws = await automationWorkspace();
    await ws.createRule({ trigger: "user.first_login", actions: [{ action: "send_campaign", campaign_id: ws.triggered }] });
    const { queued } = captureAutomationQueue();
    await ws.events({
      events: Array.from({ length: 30 }, (_, i) => ({
        id: `batch-${i}`,
        type: "user.first_login",
        user: { email: `user${i}@example.com` },
      })),
    });
    const result = await deliver(queued);
    expect(result).toMatchObject({ sendBatches: 1, sends: 30 });
    expect(result.explicitAcks).toHaveLength(30);
    expect(await captured(ws.triggered)).toHaveLength(30);
  });

  it("does nothing twice for a duplicate id, whether sent again or redelivered by the queue", async () => {
    const ws = await automationWorkspace();
    const rule = await ws.createRule({ trigger: "user.first_login", actions: [{ action: "send_campaign", campaign_id: ws.triggered }] });
    const { queued } = captureAutomationQueue();
    const event = { id: "dup-1", type: "user.first_login", user: { email: "grace@example.com", attributes: { plan: "pro" } } };
    await ws.events(event);
    await ws.events({ ...event, user: { ...event.user, attributes: { plan: "free" } } });
    const [first, second] = queued;

    await deliver([{ id: "m-dup", body: first }]);
    await deliver([{ id: "m-dup", body: first, attempts: 2 }]);
    await deliver([second]);
    expect((await subscriberByEmail(ws.workspace.id, "grace@example.com"))?.attributes).toEqual({ plan: "pro" });
    await deliver([second, first]);

    expect(await captured(ws.triggered)).toHaveLength(1);
    const runs = await ws.runs(rule.id);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ event_id: "dup-1", outcome: "fired" });
    expect((await subscriberByEmail(ws.workspace.id, "grace@example.com"))?.attributes).toEqual({ plan: "pro" });
    expect((await ws.rules(`/${rule.id}`)).json).toMatchObject({ trigger_count: 1 });
  });

  it("sends once when a delivery failed after the send and before the run was recorded", async () => {
    const ws = await automationWorkspace();
    const rule = await ws.createRule({ trigger: "user.first_login", actions: [{ action: "send_campaign", campaign_id: ws.triggered }] });
    const { queued } = captureAutomationQueue();
    await ws.events({ id: "crash-1", type: "user.first_login", user: { email: "ada@example.com" } });
    await deliver(queued);
    // As if the batch's last write had not happened: the event is unprocessed and its run unrecorded.
    await db.delete(automationRuleRuns).where(eq(automationRuleRuns.rule_id, rule.id));
    await db.update(automationEvents).set({ status: "received", processed_at: null }).where(eq(automationEvents.id, "crash-1"));

    const again = await deliver([{ body: queued[0], attempts: 2 }]);
    expect(again.explicitAcks).toHaveLength(1);
    expect(await captured(ws.triggered)).toHaveLength(1);
    const runs = await ws.runs(rule.id);
    expect(runs).toHaveLength(1);
    expect(runs[0].actions).toEqual([{ action: "send_campaign", outcome: "done", ref: expect.stringMatching(/^rcp_/) }]);
  });

  it("records a send to an unsubscribed user as skipped with the reason, and sends nothing", async () => {
    const ws = await automationWorkspace();
    const rule = await ws.createRule({ trigger: "user.first_login", actions: [{ action: "send_campaign", campaign_id: ws.triggered }] });
    const grace = ws.subscribers.find((s) => s.email === "grace@example.com");
    expect((await ws.marketing(`/subscribers/${grace?.id}`, "PATCH", { status: "unsubscribed" })).status).toBe(200);
    const { queued } = captureAutomationQueue();
    await ws.events({ id: "unsub-1", type: "user.first_login", user: { email: "grace@example.com" } });
    await deliver(queued);

    expect(await captured(ws.triggered)).toHaveLength(0);
    const [run] = await ws.runs(rule.id);
    expect(run).toMatchObject({ outcome: "skipped", reason: expect.stringMatching(/^unsubscribed/), subscriber_id: grace?.id });
    expect(run.actions).toEqual([
      { action: "send_campaign", outcome: "skipped", reason: expect.stringMatching(/^unsubscribed/), ref: expect.stringMatching(/^rcp_/) },
    ]);
  });

  it("does not make a suppressed address a subscriber; its send is recorded as skipped", async () => {
    const ws = await automationWorkspace();
    const rule = await ws.createRule({ trigger: "user.first_login", actions: [{ action: "send_campaign", campaign_id: ws.triggered }] });
    await ws.marketing("/suppressions", "POST", { email: "blocked@example.com" });
    const { queued } = captureAutomationQueue();
    await ws.events({ id: "blocked-1", type: "user.first_login", user: { email: "blocked@example.com" } });
    await deliver(queued);

    expect(await subscriberByEmail(ws.workspace.id, "blocked@example.com")).toBeUndefined();
    expect((await ws.marketing("/events/blocked-1")).json).toMatchObject({ status: "processed", subscriber_id: null });
    const [run] = await ws.runs(rule.id);
    expect(run).toMatchObject({ outcome: "skipped", subscriber_id: null });
    expect(run.actions[0]).toMatchObject({ outcome: "skipped", reason: expect.stringMatching(/^suppression_list/) });
  });

  it("starts a one-time campaign's full send on release.published, once", async () => {
    const ws = await campaignWorkspace();
    const release = await ws.draft({ name: "Release 2.0" });
    const rule = await ws.call("email-marketing/automation/rules", "POST", {
      name: "Announce releases",
      trigger: "release.published",
      actions: [{ action: "send_campaign", campaign_id: release.id }],
    });
    expect(rule.status, rule.text).toBe(201);
    const { queued } = captureAutomationQueue();
    await ws.call("email-marketing/events", "POST", {
      events: [
        { id: "rel-1", type: "release.published", user: { email: "ops@example.com" }, properties: { version: "2.0" } },
        { id: "rel-2", type: "release.published", user: { email: "ops@example.com" }, properties: { version: "2.0" } },
      ],
    });
    await deliver(queued);

    const campaign = await db.select().from(emailCampaigns).where(eq(emailCampaigns.id, release.id)).get();
    expect(campaign).toMatchObject({ status: "sending", run_count: 1 });
    const runs = (await ws.call(`email-marketing/automation/rules/${rule.json.id}/runs`)).json.data;
    const byEvent = Object.fromEntries(runs.map((r: { event_id: string }) => [r.event_id, r]));
    expect(byEvent["rel-1"].actions).toEqual([{ action: "send_campaign", outcome: "done", ref: campaign?.current_run_id }]);
    expect(byEvent["rel-2"]).toMatchObject({ outcome: "skipped", reason: expect.stringContaining("campaign is sending") });
  });

  it("retries only the event whose processing failed, recording why, and acks the rest", async () => {
    const ws = await campaignWorkspace();
    const release = await ws.draft({ name: "Release 3.0" });
    await ws.call("email-marketing/automation/rules", "POST", {
      name: "Announce",
      trigger: "release.published",
      actions: [{ action: "send_campaign", campaign_id: release.id }],
    });
    const { queued } = captureAutomationQueue();
    await ws.call("email-marketing/events", "POST", {
      events: [
        { id: "rel-fails", type: "release.published", user: { email: "ops@example.com" } },
        { id: "login-ok", type: "user.first_login", user: { email: "reader@example.com" } },
      ],
    });
    vi.spyOn(env.CAMPAIGN_DISPATCHER, "getByName").mockImplementation(() => {
      throw new Error("dispatcher unavailable");
    });
    const result = await deliver([
      { id: "m-fails", body: queued[0] },
      { id: "m-ok", body: queued[1] },
    ]);
    expect(result.retryMessages.map((m) => m.msgId)).toEqual(["m-fails"]);
    expect(result.explicitAcks).toEqual(["m-ok"]);
    const stored = async (id: string) => (await ws.call(`email-marketing/events/${id}`)).json;
    expect(await stored("rel-fails")).toMatchObject({ status: "received", error: "dispatcher unavailable" });
    expect(await stored("login-ok")).toMatchObject({ status: "processed", error: null });

    vi.restoreAllMocks();
    const retried = await deliver([{ id: "m-fails", body: queued[0], attempts: 2 }]);
    expect(retried.explicitAcks).toEqual(["m-fails"]);
    expect(await stored("rel-fails")).toMatchObject({ status: "processed", error: null });
  });

  it("tries an event again when another delivery created its subscriber at the same moment, then merges into that one", async () => {
    const ws = await automationWorkspace();
    const { queued } = captureAutomationQueue();
    await ws.events({ id: "race-1", type: "user.first_login", user: { email: "racer@example.com", attributes: { plan: "pro" } } });
    const realDb = createDb(env.DB);
    const competitorId = newId("sub");
    let batches = 0;
    // The second D1 batch writes the subscribers: the competing delivery's subscriber lands just before it.
    const racingDb = new Proxy(realDb, {
      get(target, property, receiver) {
        if (property !== "batch") return Reflect.get(target, property, receiver);
        return async (statements: Parameters<typeof realDb.batch>[0]) => {
          batches += 1;
          if (batches === 2) {
            await realDb.insert(subscribers).values({
              id: competitorId,
              workspace_id: ws.workspace.id,
              email: "racer@example.com",
              preference_token: "competitor-token-0001",
            });
          }
          return target.batch(statements);
        };
      },
    });
    const batch = createMessageBatch<unknown>(QUEUES.automation, [{ id: "m-race", timestamp: new Date(), attempts: 1, body: queued[0] }]);
    const ctx = createExecutionContext();
    await consumeAutomationBatch(batch, { env, db: racingDb });
    const result = await getQueueResult(batch, ctx);
    expect(result.retryMessages.map((m) => m.msgId)).toEqual(["m-race"]);
    expect((await ws.marketing("/events/race-1")).json).toMatchObject({
      status: "received",
      error: expect.stringContaining("another delivery"),
    });

    await deliver([{ id: "m-race", body: queued[0], attempts: 2 }]);
    expect((await ws.marketing("/events/race-1")).json).toMatchObject({ status: "processed", subscriber_id: competitorId });
    expect((await subscriberByEmail(ws.workspace.id, "racer@example.com"))?.attributes).toEqual({ plan: "pro" });
  });

  it("answers 422 with the field's path for invalid events and queues nothing", async () => {
    const ws = await automationWorkspace();
    const { sendBatch } = captureAutomationQueue();
    const valid = { type: "user.first_login", user: { email: "ada@example.com" } };
    const cases: [unknown, string][] = [
      [{ ...valid, type: "User.Login" }, "type"],
      [{ ...valid, type: "" }, "type"],
      [{ type: "user.first_login", user: { id: "u-1" } }, "user.email"],
      [{ ...valid, user: { email: "not-an-address" } }, "user.email"],
      [{ ...valid, user: { email: "a@example.com", attributes: { "bad key": 1 } } }, "user.attributes.bad key"],
      [{ ...valid, occurred_at: "yesterday" }, "occurred_at"],
      [{ ...valid, user: { email: "a@example.com", attributes: { bio: "x".repeat(17_000) } } }, "user.attributes"],
      [{ ...valid, id: "has space" }, "id"],
      [{ ...valid, extra: true }, "extra"],
      [{ ...valid, properties: { blob: "x".repeat(40_000) } }, ""],
      [{ events: [] }, "events"],
      [{ events: Array.from({ length: 101 }, () => valid) }, "events"],
      [{ events: [valid, { ...valid, user: {} }] }, "events.1.user.email"],
    ];
    for (const [body, path] of cases) {
      const res = await ws.events(body);
      expect(res.status, `${JSON.stringify(body).slice(0, 80)} → ${res.text}`).toBe(422);
      expect(res.json.errors.map((e: { path: string }) => e.path)).toContain(path);
    }
    for (const body of [null, [], "event", 42, { events: "all" }, { events: [null] }, { user: { email: ["a@example.com"] }, type: 1 }]) {
      const res = await ws.events(body);
      expect(res.status, res.text).toBe(422);
    }
    expect(sendBatch).not.toHaveBeenCalled();
  });

  it("shows an event only to its own workspace", async () => {
    const ws = await automationWorkspace();
    const { queued } = captureAutomationQueue();
    await ws.events({ id: "mine-1", type: "user.first_login", user: { email: "ada@example.com" } });
    await deliver(queued);
    const other = await createWorkspace();
    const res = await ws.marketing("/events/mine-1");
    expect(res.status).toBe(200);
    const { api } = await import("../factories/api");
    const foreign = await api(`/workspaces/${other.workspace.id}/email-marketing/events/mine-1`, { token: other.key });
    expect(foreign.status).toBe(404);
  });

  it("dead-letters a malformed message and processes the rest of the batch", async () => {
    const ws = await automationWorkspace();
    const { queued } = captureAutomationQueue();
    await ws.events({ id: "ok-1", type: "user.first_login", user: { email: "ada@example.com" } });
    const result = await deliver([
      { id: "bad-automation-1", body: { kind: "automation_event", workspace_id: ws.workspace.id } },
      queued[0],
    ]);
    expect(result.explicitAcks).toHaveLength(2);
    const dead = await env.DB.prepare("select reason from dead_letters where queue = ? and message_id = ?")
      .bind(QUEUES.automation, "bad-automation-1")
      .first<{ reason: string }>();
    expect(dead?.reason).toMatch(/^invalid_message/);
    expect((await ws.marketing("/events/ok-1")).json).toMatchObject({ status: "processed" });
  });
});
