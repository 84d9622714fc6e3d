import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import PostalMime from "postal-mime";
import { describe, expect, it } from "vitest";
import { QUEUES } from "../../queues/messages";
import { campaignRecipients, capturedMessages, emailCampaigns } from "../../src/db/schema";
import type { SendEmailMessage } from "../../src/domain/campaigns/send-message";
import { sendTestEmails } from "../../src/domain/campaigns/test-send";
import { type TriggerDeps, triggerSend } from "../../src/domain/campaigns/trigger";
import { ConflictError, InvalidFieldsError } from "../../src/domain/errors";
import worker from "../../src/index";
import { api } from "../factories/api";
import { db, deliveryDeps, readCampaign, sendingSetup, startedRun } from "../factories/campaigns";

const later: { message: SendEmailMessage; delaySeconds: number }[] = [];
const deps = (): TriggerDeps => ({
  ...deliveryDeps(),
  enqueueSends: async (messages, delaySeconds) => {
    for (const message of messages) later.push({ message, delaySeconds });
  },
});

async function triggeredCampaign() {
  const setup = await sendingSetup({ subscribers: [{ email: "known@example.com", name: "Known", attributes: { plan: "pro" } }] });
  const { campaignId } = await startedRun(setup, { campaign_type: "triggered", status: "draft", current_run_id: null });
  return { setup, campaignId };
}

const captured = (campaignId: string) => db.select().from(capturedMessages).where(eq(capturedMessages.campaign_id, campaignId));

describe("triggered sends", () => {
  it("sends one message now to a new address, creating its subscriber, with the trigger's context", async () => {
    const { setup, campaignId } = await triggeredCampaign();
    const { recipient, replayed } = await triggerSend(
      deps(),
      setup.workspace.id,
      campaignId,
      { email: "New.Person@Example.com", name: "New", context: { first_name: "Nova" } },
      null,
      new Date(),
    );
    expect(replayed).toBe(false);
    expect(recipient).toMatchObject({ status: "sent", email: "new.person@example.com", run_id: null });
    const [message] = await captured(campaignId);
    expect((await PostalMime.parse(message.raw)).subject).toBe("Hello Nova");
    expect(await readCampaign(campaignId)).toMatchObject({ sent_count: 1 });
  });

  it("queued: records the decision and puts the send on the queue; a repeat while it is still pending queues it again, and it is sent once", async () => {
    const { setup, campaignId } = await triggeredCampaign();
    later.length = 0;
    const input = { email: "known@example.com" };
    const first = await triggerSend(deps(), setup.workspace.id, campaignId, input, "queued-1", new Date(), "queued");
    expect(first.recipient).toMatchObject({ status: "pending" });
    expect(await captured(campaignId)).toHaveLength(0);
    // As if that queue message were lost: the repeat finds the recipient still pending and queues it once more.
    const again = await triggerSend(deps(), setup.workspace.id, campaignId, input, "queued-1", new Date(), "queued");
    expect(again).toMatchObject({ replayed: true, recipient: { id: first.recipient.id } });
    expect(later.map((l) => [l.message.recipient_id, l.delaySeconds])).toEqual([
      [first.recipient.id, 0],
      [first.recipient.id, 0],
    ]);
    const batch = createMessageBatch<unknown>(
      QUEUES.send,
      later.map((l, i) => ({ id: `queued-send-${i}`, timestamp: new Date(), attempts: 1, body: l.message })),
    );
    await worker.queue(batch, env);
    await getQueueResult(batch, createExecutionContext());
    expect(await captured(campaignId)).toHaveLength(1);
    expect(await readCampaign(campaignId)).toMatchObject({ sent_count: 1 });
  });

  it("sends once for two requests with the same Idempotency-Key, and refuses the key with another body", async () => {
    const { setup, campaignId } = await triggeredCampaign();
    const input = { email: "known@example.com", context: { order: "A-1" } };
    const first = await triggerSend(deps(), setup.workspace.id, campaignId, input, "order-A-1", new Date());
    const again = await triggerSend(deps(), setup.workspace.id, campaignId, input, "order-A-1", new Date());
    expect(again).toEqual({ recipient: first.recipient, replayed: true });
    expect(await captured(campaignId)).toHaveLength(1);
    await expect(
      triggerSend(deps(), setup.workspace.id, campaignId, { ...input, context: { order: "B-2" } }, "order-A-1", new Date()),
    ).rejects.toBeInstanceOf(InvalidFieldsError);
    const concurrent = await Promise.all(
      [1, 2, 3].map(() => triggerSend(deps(), setup.workspace.id, campaignId, { email: "known@example.com" }, "same-moment", new Date())),
    );
    expect(new Set(concurrent.map((r) => r.recipient.id)).size).toBe(1);
    expect(await captured(campaignId)).toHaveLength(2);
  });

  it("records a suppressed address as failed with its reason and sends nothing", async () => {
    const { setup, campaignId } = await triggeredCampaign();
    await setup.marketing("/suppressions", "POST", { email: "known@example.com" });
    const { recipient } = await triggerSend(deps(), setup.workspace.id, campaignId, { email: "known@example.com" }, null, new Date());
    expect(recipient).toMatchObject({ status: "failed", failure_reason: "suppression_list" });
    expect(await captured(campaignId)).toHaveLength(0);
  });

  it("records a suppressed address that is not a subscriber yet as failed with its reason, subscribing no one", async () => {
    const { setup, campaignId } = await triggeredCampaign();
    await setup.marketing("/suppressions", "POST", { email: "stranger@example.com" });
    await setup.marketing("/suppressions", "POST", { domain: "blocked.example" });
    const byAddress = await triggerSend(deps(), setup.workspace.id, campaignId, { email: "Stranger@example.com" }, "k-1", new Date());
    expect(byAddress.recipient).toMatchObject({
      status: "failed",
      failure_reason: "suppression_list",
      email: "stranger@example.com",
      subscriber_id: null,
    });
    const byDomain = await triggerSend(deps(), setup.workspace.id, campaignId, { email: "someone@blocked.example" }, null, new Date());
    expect(byDomain.recipient).toMatchObject({
      status: "failed",
      failure_reason: "suppression_list",
      failure_detail: "domain blocked.example",
    });
    const again = await triggerSend(deps(), setup.workspace.id, campaignId, { email: "Stranger@example.com" }, "k-1", new Date());
    expect(again).toEqual({ recipient: byAddress.recipient, replayed: true });
    expect(await captured(campaignId)).toHaveLength(0);
    const subscribed = await setup.marketing("/subscribers?limit=100", "GET");
    expect(subscribed.json.data.map((s: { email: string }) => s.email)).toEqual(["known@example.com"]);
  });

  it("counts every triggered recipient on the campaign: total, sent and failed", async () => {
    const { setup, campaignId } = await triggeredCampaign();
    await setup.marketing("/suppressions", "POST", { email: "known@example.com" });
    await triggerSend(deps(), setup.workspace.id, campaignId, { email: "known@example.com" }, null, new Date());
    await triggerSend(deps(), setup.workspace.id, campaignId, { email: "fresh@example.com" }, null, new Date());
    expect(await readCampaign(campaignId)).toMatchObject({ total_recipients: 2, sent_count: 1, failed_count: 1 });
  });

  it("refuses triggers on a campaign that is not triggered, is paused, or names a foreign subscriber", async () => {
    const { setup, campaignId } = await triggeredCampaign();
    const other = await sendingSetup();
    await expect(
      triggerSend(deps(), setup.workspace.id, campaignId, { subscriber_id: other.subscribers[0].id }, null, new Date()),
    ).rejects.toMatchObject({ fields: [expect.objectContaining({ path: "subscriber_id" })] });
    await db.update(emailCampaigns).set({ status: "paused" }).where(eq(emailCampaigns.id, campaignId));
    await expect(triggerSend(deps(), setup.workspace.id, campaignId, { email: "a@example.com" }, null, new Date())).rejects.toBeInstanceOf(
      ConflictError,
    );
    const oneTime = await startedRun(setup);
    await expect(
      triggerSend(deps(), setup.workspace.id, oneTime.campaignId, { email: "a@example.com" }, null, new Date()),
    ).rejects.toBeInstanceOf(ConflictError);
  });
});

describe("test sends", () => {
  it("renders with sample values under the given context, marks the subject, and records no recipient", async () => {
    const setup = await sendingSetup();
    const { campaignId } = await startedRun(setup, { status: "draft", current_run_id: null });
    const results = await sendTestEmails(
      deliveryDeps(),
      setup.workspace.id,
      campaignId,
      { emails: ["qa@example.com"], context: { first_name: "Tester" } },
      new Date(),
    );
    expect(results).toEqual([expect.objectContaining({ email: "qa@example.com", status: "sent", provider_id: setup.providers[0].id })]);
    const [message] = await captured(campaignId);
    const parsed = await PostalMime.parse(message.raw);
    expect(parsed.subject).toBe("[Test] Hello Tester");
    expect(parsed.headers.find((h) => h.key === "x-flarecast-test")?.value).toBe("1");
    expect(await db.select().from(campaignRecipients).where(eq(campaignRecipients.campaign_id, campaignId))).toHaveLength(0);
    expect(await readCampaign(campaignId)).toMatchObject({ sent_count: 0, total_recipients: 0 });
  });
});

describe("the trigger and test endpoints", () => {
  it("answers 201 then 200 with Idempotent-Replayed for a repeated key, and 422 with a path for a bad body", async () => {
    const { setup, campaignId } = await triggeredCampaign();
    const trigger = (body: unknown, key?: string) =>
      api(`/workspaces/${setup.workspace.id}/email-marketing/campaigns/${campaignId}/trigger`, {
        method: "POST",
        token: setup.key,
        body,
        headers: key ? { "idempotency-key": key } : {},
      });
    const first = await trigger({ email: "buyer@example.com", context: { first_name: "Bea" } }, "checkout-1");
    expect(first.status, first.text).toBe(201);
    expect(first.headers.get("idempotent-replayed")).toBe("false");
    expect(first.json).toMatchObject({ status: "sent", email: "buyer@example.com" });
    const again = await trigger({ email: "buyer@example.com", context: { first_name: "Bea" } }, "checkout-1");
    expect(again.status).toBe(200);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.json.id).toBe(first.json.id);
    expect(await captured(campaignId)).toHaveLength(1);

    const both = await trigger({ email: "x@example.com", subscriber_id: "sub_x" });
    expect(both.status).toBe(422);
    expect(both.json.errors[0].path).toBe("subscriber_id");
    const neither = await trigger({ context: {} });
    expect(neither.status).toBe(422);
    const longKey = await trigger({ email: "x@example.com" }, "k".repeat(300));
    expect(longKey.status).toBe(422);
    // The context is stored on the recipient's row: megabytes of it would not fit a D1 row.
    const hugeContext = await trigger({ email: "x@example.com", context: { blob: "x".repeat(70_000) } });
    expect(hugeContext.status).toBe(422);
    expect(hugeContext.json.errors[0].path).toBe("context");
    expect(await captured(campaignId)).toHaveLength(1);
  });

  it("keeps a triggered campaign that has sent: its recipients are the history suppression and frequency caps read", async () => {
    const { setup, campaignId } = await triggeredCampaign();
    const unused = await startedRun(setup, { campaign_type: "triggered", status: "draft", current_run_id: null });
    await triggerSend(deps(), setup.workspace.id, campaignId, { email: "known@example.com" }, null, new Date());
    const refused = await setup.marketing(`/campaigns/${campaignId}`, "DELETE");
    expect(refused.status).toBe(409);
    expect(refused.json.detail).toContain("recipients");
    expect(await db.select().from(campaignRecipients).where(eq(campaignRecipients.campaign_id, campaignId))).toHaveLength(1);
    expect((await setup.marketing(`/campaigns/${unused.campaignId}`, "DELETE")).status).toBe(204);
  });

  it("refuses a test address longer than an address can be (254 characters)", async () => {
    const setup = await sendingSetup();
    const { campaignId } = await startedRun(setup, { status: "draft", current_run_id: null });
    const res = await setup.marketing(`/campaigns/${campaignId}/test`, "POST", { emails: [`${"a".repeat(300)}@example.com`] });
    expect(res.status).toBe(422);
    expect(res.json.errors[0].path).toBe("emails.0");
    expect(await captured(campaignId)).toHaveLength(0);
  });

  it("sends a test through POST …/test and answers one result per address", async () => {
    const setup = await sendingSetup();
    const { campaignId } = await startedRun(setup, { status: "draft", current_run_id: null });
    const res = await setup.marketing(`/campaigns/${campaignId}/test`, "POST", { emails: ["a@example.com", "b@example.com"] });
    expect(res.status, res.text).toBe(200);
    expect(res.json.data.map((r: { email: string; status: string }) => [r.email, r.status])).toEqual([
      ["a@example.com", "sent"],
      ["b@example.com", "sent"],
    ]);
    const tooMany = await setup.marketing(`/campaigns/${campaignId}/test`, "POST", {
      emails: Array.from({ length: 11 }, (_, i) => `t${i}@example.com`),
    });
    expect(tooMany.status).toBe(422);
    expect(tooMany.json.errors[0].path).toBe("emails");
  });
});
