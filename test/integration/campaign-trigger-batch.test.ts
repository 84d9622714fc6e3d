import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { campaignRecipients, type Suppression, suppressions } from "../../src/db/schema";
import type { SendEmailMessage } from "../../src/domain/campaigns/send-message";
import type { TriggerDeps } from "../../src/domain/campaigns/trigger";
import { type BatchedTrigger, triggerSends } from "../../src/domain/campaigns/trigger-batch";
import { ConflictError, InvalidFieldsError } from "../../src/domain/errors";
import { db, deliveryDeps, readCampaign, sendingSetup, startedRun } from "../factories/campaigns";

function recordingDeps() {
  const queueCalls: { messages: SendEmailMessage[]; delaySeconds: number }[] = [];
  const deps: TriggerDeps = {
    ...deliveryDeps(),
    enqueueSends: async (messages, delaySeconds) => {
      queueCalls.push({ messages, delaySeconds });
    },
  };
  return { deps, queueCalls };
}

async function triggeredCampaign() {
  const setup = await sendingSetup({
    subscribers: [{ email: "ada@example.com" }, { email: "grace@example.com" }, { email: "alan@example.com" }],
  });
  const { campaignId } = await startedRun(setup, { campaign_type: "triggered", status: "draft", current_run_id: null });
  const subscriber = (email: string) => setup.subscribers.find((s) => s.email === email)!;
  return { setup, campaignId, subscriber };
}

const recipientsOf = (campaignId: string) => db.select().from(campaignRecipients).where(eq(campaignRecipients.campaign_id, campaignId));

describe("triggered sends in a batch", () => {
  it("records every decision in one write and queues the sendable ones in one call", async () => {
    const { setup, campaignId, subscriber } = await triggeredCampaign();
    await setup.marketing(`/subscribers/${subscriber("grace@example.com").id}`, "PATCH", { status: "unsubscribed" });
    const grace = { ...subscriber("grace@example.com"), status: "unsubscribed" as const };
    await setup.marketing("/suppressions", "POST", { email: "blocked@example.com" });
    const [suppression] = (await db.select().from(suppressions).where(eq(suppressions.workspace_id, setup.workspace.id))) as Suppression[];
    const sends: BatchedTrigger[] = [
      { target: { subscriber: subscriber("ada@example.com") }, context: { n: 1 }, idempotencyKey: "k-ada" },
      { target: { subscriber: grace }, context: { n: 2 }, idempotencyKey: "k-grace" },
      { target: { email: "blocked@example.com", name: null, suppression }, context: {}, idempotencyKey: "k-blocked" },
      { target: { subscriber: subscriber("alan@example.com") }, context: {}, idempotencyKey: "k-alan" },
    ];
    const { deps, queueCalls } = recordingDeps();

    const outcomes = await triggerSends(deps, setup.workspace.id, campaignId, sends, new Date());
    const byEmail = Object.fromEntries(
      outcomes.map((o) =>
        "recipient" in o ? [o.recipient.email, [o.recipient.status, o.recipient.failure_reason, o.replayed]] : ["error", o],
      ),
    );
    expect(byEmail).toEqual({
      "ada@example.com": ["pending", null, false],
      "grace@example.com": ["failed", "unsubscribed", false],
      "blocked@example.com": ["failed", "suppression_list", false],
      "alan@example.com": ["pending", null, false],
    });
    expect(queueCalls).toHaveLength(1);
    expect(queueCalls[0].messages.map((m) => m.recipient_id).sort()).toEqual(
      outcomes.flatMap((o) => ("recipient" in o && o.recipient.status === "pending" ? [o.recipient.id] : [])).sort(),
    );
    expect(await readCampaign(campaignId)).toMatchObject({ total_recipients: 4, failed_count: 2 });
    expect(await recipientsOf(campaignId)).toHaveLength(4);
  });

  it("replays sends made before, queues again the ones still pending, and refuses a key reused with another body", async () => {
    const { setup, campaignId, subscriber } = await triggeredCampaign();
    const ada: BatchedTrigger = { target: { subscriber: subscriber("ada@example.com") }, context: {}, idempotencyKey: "k-1" };
    const { deps, queueCalls } = recordingDeps();
    const [first] = await triggerSends(deps, setup.workspace.id, campaignId, [ada], new Date());

    const again = await triggerSends(
      deps,
      setup.workspace.id,
      campaignId,
      [
        ada,
        { ...ada, context: { changed: true } },
        { ...ada, target: { subscriber: subscriber("alan@example.com") }, idempotencyKey: "k-2" },
      ],
      new Date(),
    );
    expect(again[0]).toEqual({ recipient: (first as { recipient: unknown }).recipient, replayed: true });
    expect((again[1] as { error: unknown }).error).toBeInstanceOf(InvalidFieldsError);
    expect(again[2]).toMatchObject({ replayed: false, recipient: { email: "alan@example.com", status: "pending" } });
    expect(queueCalls.flatMap((c) => c.messages.map((m) => m.recipient_id))).toEqual([
      (first as { recipient: { id: string } }).recipient.id,
      (first as { recipient: { id: string } }).recipient.id,
      (again[2] as { recipient: { id: string } }).recipient.id,
    ]);
    expect(await recipientsOf(campaignId)).toHaveLength(2);
  });

  it("gives two sends to one subscriber in a batch a recipient each, and skips a subscriber capped by another campaign's send", async () => {
    const { setup, campaignId, subscriber } = await triggeredCampaign();
    const ada = subscriber("ada@example.com");
    const daily = { ...subscriber("alan@example.com"), frequency: "daily" as const };
    await setup.marketing(`/subscribers/${daily.id}`, "PATCH", { frequency: "daily" });
    const { campaignId: other } = await startedRun(setup, { campaign_type: "triggered", status: "draft", current_run_id: null });
    const { deps } = recordingDeps();
    await triggerSends(
      deps,
      setup.workspace.id,
      other,
      [{ target: { subscriber: daily }, context: {}, idempotencyKey: "other" }],
      new Date(),
    );
    // As the send consumer leaves it once the message went out.
    await db
      .update(campaignRecipients)
      .set({ status: "sent", sent_at: new Date().toISOString() })
      .where(eq(campaignRecipients.campaign_id, other));

    const outcomes = await triggerSends(
      deps,
      setup.workspace.id,
      campaignId,
      [
        { target: { subscriber: ada }, context: { n: 1 }, idempotencyKey: "first" },
        { target: { subscriber: ada }, context: { n: 2 }, idempotencyKey: "second" },
        { target: { subscriber: daily }, context: {}, idempotencyKey: "capped" },
      ],
      new Date(),
    );
    expect(outcomes.map((o) => ("recipient" in o ? [o.recipient.email, o.recipient.status, o.recipient.failure_reason] : "error"))).toEqual(
      [
        ["ada@example.com", "pending", null],
        ["ada@example.com", "pending", null],
        ["alan@example.com", "failed", "frequency_cap"],
      ],
    );
    expect(new Set(outcomes.map((o) => ("recipient" in o ? o.recipient.id : ""))).size).toBe(3);
  });

  it("falls back to one send at a time when the batch's write fails, and answers a campaign that cannot send with a conflict for each", async () => {
    const { setup, campaignId, subscriber } = await triggeredCampaign();
    const { deps } = recordingDeps();
    // Two sends with one key: the batch's key insert fails, and alone the second is a replay with another body.
    const outcomes = await triggerSends(
      deps,
      setup.workspace.id,
      campaignId,
      [
        { target: { subscriber: subscriber("ada@example.com") }, context: {}, idempotencyKey: "same" },
        { target: { subscriber: subscriber("alan@example.com") }, context: {}, idempotencyKey: "same" },
      ],
      new Date(),
    );
    expect(outcomes[0]).toMatchObject({ replayed: false, recipient: { email: "ada@example.com" } });
    expect((outcomes[1] as { error: unknown }).error).toBeInstanceOf(InvalidFieldsError);
    expect(await recipientsOf(campaignId)).toHaveLength(1);

    const { campaignId: oneTime } = await startedRun(setup, { campaign_type: "one_time", status: "draft", current_run_id: null });
    const refused = await triggerSends(
      deps,
      setup.workspace.id,
      oneTime,
      [{ target: { subscriber: subscriber("ada@example.com") }, context: {}, idempotencyKey: "x" }],
      new Date(),
    );
    expect((refused[0] as { error: unknown }).error).toBeInstanceOf(ConflictError);
  });
});
