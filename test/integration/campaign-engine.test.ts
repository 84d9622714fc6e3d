import { and, eq } from "drizzle-orm";
import fc from "fast-check";
import PostalMime from "postal-mime";
import { describe, expect, it } from "vitest";
import { campaignRecipients, capturedMessages, emailCampaigns } from "../../src/db/schema";
import { deliverBatch } from "../../src/domain/campaigns/deliver";
import { DEFAULT_TIMINGS, dispatchStep, initialDispatchState, reconcile } from "../../src/domain/campaigns/dispatch";
import { ADMIN_TOKEN, api } from "../factories/api";
import { db, deliveryDeps, driveRun, readCampaign, readRun, sendingSetup, startedRun } from "../factories/campaigns";

const recipientsOf = (campaignId: string) => db.select().from(campaignRecipients).where(eq(campaignRecipients.campaign_id, campaignId));
const capturedFor = (campaignId: string) => db.select().from(capturedMessages).where(eq(capturedMessages.campaign_id, campaignId));

/** Every recipient got at most one message, and exactly one when it is `sent`, recorded with that message's id. */
async function expectExactlyOnce(campaignId: string) {
  const [recipients, captured] = await Promise.all([recipientsOf(campaignId), capturedFor(campaignId)]);
  const perRecipient = new Map<string, number>();
  for (const m of captured) perRecipient.set(m.recipient_id as string, (perRecipient.get(m.recipient_id as string) ?? 0) + 1);
  const messageIdOf = new Map(captured.map((m) => [m.recipient_id as string, m.message_id]));
  for (const r of recipients) {
    const count = perRecipient.get(r.id) ?? 0;
    expect(count, `${r.email} (${r.status})`).toBeLessThanOrEqual(1);
    if (r.status === "sent") {
      expect(count, r.email).toBe(1);
      expect(r.provider_message_id, r.email).toBe(messageIdOf.get(r.id));
    }
  }
  return { recipients, captured };
}

describe("a campaign run through the capture provider", () => {
  it("sends each subscriber one personalised message with the unsubscribe headers, records the skipped with their reason, and ends sent", async () => {
    const setup = await sendingSetup({
      subscribers: [
        { email: "ada@example.com", name: "Ada Lovelace", attributes: { first_name: "Ada" } },
        { email: "grace@example.com" },
        { email: "blocked@example.com" },
        { email: "optout@example.com" },
      ],
    });
    await setup.marketing("/suppressions", "POST", { email: "blocked@example.com" });
    await setup.marketing("/categories", "POST", { slug: "news", name: "News" });
    const optout = setup.subscribers.find((s) => s.email === "optout@example.com");
    await setup.marketing(`/subscribers/${optout?.id}`, "PATCH", { preferences: { news: false } });
    const { campaignId, runId } = await startedRun(setup, { category_slug: "news", template_context: { first_name: "reader" } });

    const { last } = await driveRun(runId);
    expect(last?.phase).toBe("done");

    const { recipients, captured } = await expectExactlyOnce(campaignId);
    const byEmail = Object.fromEntries(recipients.map((r) => [r.email, r]));
    expect(byEmail["ada@example.com"]).toMatchObject({
      status: "sent",
      provider_id: setup.providers[0].id,
      sending_domain_id: setup.domain.id,
    });
    expect(byEmail["ada@example.com"].sending_identity_id).toBe(setup.identity.id);
    expect(byEmail["blocked@example.com"]).toMatchObject({ status: "failed", failure_reason: "suppression_list" });
    expect(byEmail["optout@example.com"]).toMatchObject({ status: "failed", failure_reason: "category_opt_out" });
    expect(captured).toHaveLength(2);

    const ada = captured.find((m) => m.to_email === "ada@example.com");
    expect(byEmail["ada@example.com"].provider_message_id).toBe(ada?.message_id);
    const parsed = await PostalMime.parse(ada?.raw as string);
    expect(parsed.subject).toBe("Hello Ada");
    expect(parsed.html).toContain("Hi Ada, news for ada@example.com.");
    expect(parsed.text).toContain("Hi Ada");
    const header = (name: string) => parsed.headers.find((h) => h.key === name)?.value;
    expect(header("list-unsubscribe")).toMatch(/^<https:\/\/flarecast\.test\/preferences\/[A-Za-z0-9_-]+\/unsubscribe>$/);
    expect(header("list-unsubscribe-post")).toBe("List-Unsubscribe=One-Click");
    expect(header("feedback-id")).toContain(campaignId);
    expect(parsed.messageId).toMatch(new RegExp(`@${setup.domain.domain.replaceAll(".", "\\.")}>$`));
    expect(parsed.from?.address).toBe(setup.identity.email);
    const grace = await PostalMime.parse(captured.find((m) => m.to_email === "grace@example.com")?.raw as string);
    expect(grace.subject, "the campaign's template_context fills what the subscriber lacks").toBe("Hello reader");

    const campaign = await readCampaign(campaignId);
    expect(campaign).toMatchObject({ status: "sent", total_recipients: 4, sent_count: 2, failed_count: 2, current_run_id: null });
    expect(campaign.completed_at).not.toBeNull();
    expect(await readRun(runId)).toMatchObject({ status: "sent", total_recipients: 4, sent_count: 2, failed_count: 2 });
  });
});

describe("exactly once", () => {
  it("sends nothing more when every send message is delivered twice", async () => {
    const setup = await sendingSetup({ subscribers: Array.from({ length: 30 }, (_, i) => ({ email: `twice${i}@example.com` })) });
    const { campaignId, runId } = await startedRun(setup);
    await driveRun(runId, { onBatch: (messages) => [...messages, ...messages] });
    const { captured } = await expectExactlyOnce(campaignId);
    expect(captured).toHaveLength(30);
    expect(await readCampaign(campaignId)).toMatchObject({ status: "sent", sent_count: 30 });
  });

  it("never sends twice when the consumer dies after the provider accepted: the recipient ends unknown", async () => {
    const setup = await sendingSetup({ subscribers: Array.from({ length: 5 }, (_, i) => ({ email: `crash${i}@example.com` })) });
    const { campaignId, runId } = await startedRun(setup);
    let crashes = 0;
    let batches = 0;
    // The first batch claims the recipients; the next is the status write after the first provider calls, and it
    // fails, as if the Worker were killed right there.
    const crashingDb = new Proxy(db, {
      get(target, property, receiver) {
        if (property === "batch") {
          return async (...args: Parameters<typeof db.batch>) => {
            batches++;
            if (batches === 2) {
              crashes++;
              throw new Error("killed after the provider accepted");
            }
            return target.batch(...args);
          };
        }
        return Reflect.get(target, property, receiver);
      },
    });
    const { last } = await driveRun(runId, {
      deliver: (ids, now) => deliverBatch(deliveryDeps({ db: crashingDb }), ids, now),
      timings: { ...DEFAULT_TIMINGS, claimTimeoutMs: 60_000 },
    });
    expect(crashes).toBe(1);
    expect(last?.phase).toBe("done");
    const { recipients, captured } = await expectExactlyOnce(campaignId);
    const unknown = recipients.filter((r) => r.status === "unknown");
    expect(unknown.length).toBeGreaterThan(0);
    for (const r of unknown) expect(captured.filter((m) => m.recipient_id === r.id).length).toBeLessThanOrEqual(1);
    expect(await readCampaign(campaignId)).toMatchObject({ status: "sent", unknown_count: unknown.length });
  });

  it("finishes a campaign whose queue lost messages: the dispatcher enqueues them again", async () => {
    const setup = await sendingSetup({ subscribers: Array.from({ length: 20 }, (_, i) => ({ email: `lost${i}@example.com` })) });
    const { campaignId, runId } = await startedRun(setup);
    let dropped = 0;
    const seen = new Set<string>();
    const { last } = await driveRun(runId, {
      timings: { ...DEFAULT_TIMINGS, lostMessageAfterMs: 30_000 },
      onBatch: (messages) =>
        messages.filter((m) => {
          if (seen.has(m.recipient_id)) return true;
          seen.add(m.recipient_id);
          dropped++;
          return false;
        }),
    });
    expect(dropped).toBe(20);
    expect(last?.phase).toBe("done");
    const { captured } = await expectExactlyOnce(campaignId);
    expect(captured).toHaveLength(20);
  });

  it("turns a claim whose consumer vanished into unknown, and leaves younger claims alone", async () => {
    const setup = await sendingSetup({ subscribers: [{ email: "stale@example.com" }, { email: "fresh@example.com" }] });
    const { campaignId, runId } = await startedRun(setup);
    const now = Date.now();
    await db.insert(campaignRecipients).values([
      {
        id: "rcp_stale",
        workspace_id: setup.workspace.id,
        campaign_id: campaignId,
        run_id: runId,
        email: "stale@example.com",
        status: "sending",
        claimed_at: new Date(now - 20 * 60_000).toISOString(),
      },
      {
        id: "rcp_fresh",
        workspace_id: setup.workspace.id,
        campaign_id: campaignId,
        run_id: runId,
        email: "fresh@example.com",
        status: "sending",
        claimed_at: new Date(now - 60_000).toISOString(),
      },
    ]);
    expect(await reconcile(db, runId, now, DEFAULT_TIMINGS)).toEqual({ requeued: 0, unknown: 1 });
    const rows = await db
      .select()
      .from(campaignRecipients)
      .where(and(eq(campaignRecipients.run_id, runId)));
    expect(rows.find((r) => r.id === "rcp_stale")).toMatchObject({ status: "unknown", failure_reason: "outcome_unknown" });
    expect(rows.find((r) => r.id === "rcp_fresh")).toMatchObject({ status: "sending" });
  });
});

describe("pause", () => {
  it("stops sending within a batch and resumes with no duplicate and no skip", async () => {
    const setup = await sendingSetup({ subscribers: Array.from({ length: 40 }, (_, i) => ({ email: `p${i}@example.com` })) });
    const { campaignId, runId } = await startedRun(setup);
    const setStatus = (status: "sending" | "paused") => db.update(emailCampaigns).set({ status }).where(eq(emailCampaigns.id, campaignId));
    await driveRun(runId, {
      ratePerMinute: 600,
      beforeStep: async (step) => {
        if (step === 2) await setStatus("paused");
        if (step === 6) await setStatus("sending");
      },
    });
    const { captured } = await expectExactlyOnce(campaignId);
    expect(captured).toHaveLength(40);
  });
});

describe("send windows", () => {
  it("sends nothing outside a window in another timezone and sleeps until it opens", async () => {
    const setup = await sendingSetup({ subscribers: [{ email: "tokyo1@example.com" }, { email: "tokyo2@example.com" }] });
    const { campaignId, runId } = await startedRun(setup, { send_window: { start: "09:00", end: "17:00", timezone: "Asia/Tokyo" } });
    const evening = Date.parse("2026-12-04T10:00:00Z"); // 19:00 in Tokyo
    const sentAt: string[] = [];
    const { last } = await driveRun(runId, {
      startAt: evening,
      deliver: async (ids, now) => {
        sentAt.push(now.toISOString());
        return deliverBatch(deliveryDeps(), ids, now);
      },
    });
    expect(last?.phase).toBe("done");
    expect(sentAt.length).toBeGreaterThan(0);
    for (const time of sentAt) expect(time >= "2026-12-05T00:00:00.000Z", `sent at ${time}, before 09:00 in Tokyo`).toBe(true);
    const recipients = await recipientsOf(campaignId);
    for (const r of recipients) {
      expect(r.status).toBe("sent");
      expect((r.sent_at as string) >= "2026-12-05T00:00:00.000Z").toBe(true);
    }
  });

  it("reads a subscriber-timezone window in each subscriber's own zone", async () => {
    const setup = await sendingSetup({
      subscribers: [
        { email: "berlin@example.com", attributes: { timezone: "Europe/Berlin" } },
        { email: "la@example.com", attributes: { timezone: "America/Los_Angeles" } },
      ],
    });
    const { campaignId, runId } = await startedRun(setup, { send_window: { start: "09:00", end: "10:00", timezone: "subscriber" } });
    await driveRun(runId, { startAt: Date.parse("2026-12-04T07:30:00Z") });
    const recipients = Object.fromEntries((await recipientsOf(campaignId)).map((r) => [r.email, r]));
    expect(recipients["berlin@example.com"].send_timezone).toBe("Europe/Berlin");
    expect(recipients["berlin@example.com"].sent_at).toBe("2026-12-04T08:00:00.000Z");
    expect(recipients["la@example.com"].sent_at).toBe("2026-12-04T17:00:00.000Z");
  });

  it("keeps sending to the zones that are open while another zone's window is still closed, at a real rate", async () => {
    const setup = await sendingSetup({
      subscribers: [
        { email: "berlin-open@example.com", attributes: { timezone: "Europe/Berlin" } },
        { email: "la-closed@example.com", attributes: { timezone: "America/Los_Angeles" } },
      ],
    });
    const { campaignId, runId } = await startedRun(setup, { send_window: { start: "09:00", end: "10:00", timezone: "subscriber" } });
    // 09:30 in Berlin, 00:30 in Los Angeles; at 60 a minute the bucket is empty on the first step.
    await driveRun(runId, { startAt: Date.parse("2026-12-04T08:30:00Z"), ratePerMinute: 60 });
    const recipients = Object.fromEntries((await recipientsOf(campaignId)).map((r) => [r.email, r]));
    expect(recipients["berlin-open@example.com"].sent_at, "Berlin's window is open now").toMatch(/^2026-12-04T08:30:/);
    expect(recipients["la-closed@example.com"].sent_at).toBe("2026-12-04T17:00:00.000Z");
  });
});

describe("delivery decisions at send time", () => {
  it("records a frequency-capped subscriber as failed with its reason", async () => {
    const setup = await sendingSetup({ subscribers: [{ email: "weekly@example.com" }, { email: "daily@example.com" }] });
    const weekly = setup.subscribers.find((s) => s.email === "weekly@example.com");
    await setup.marketing(`/subscribers/${weekly?.id}`, "PATCH", { frequency: "weekly" });
    const first = await startedRun(setup);
    await driveRun(first.runId);
    await db.update(emailCampaigns).set({ current_run_id: null }).where(eq(emailCampaigns.id, first.campaignId));
    const second = await startedRun(setup);
    await driveRun(second.runId);
    const recipients = Object.fromEntries((await recipientsOf(second.campaignId)).map((r) => [r.email, r]));
    expect(recipients["weekly@example.com"]).toMatchObject({ status: "failed", failure_reason: "frequency_cap" });
    expect(recipients["daily@example.com"]).toMatchObject({ status: "sent" });
  });
});

describe("pause and resume at random points", () => {
  it("delivers each of 2,000 recipients exactly once", async () => {
    const setup = await sendingSetup({
      subscribers: Array.from({ length: 2000 }, (_, i) => ({ email: `r${String(i).padStart(4, "0")}@example.com` })),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 1, max: 5 })), { minLength: 1, maxLength: 4 }),
        async (pauses) => {
          const { campaignId, runId } = await startedRun(setup);
          const toggles = new Map<number, "paused" | "sending">();
          let step = 0;
          for (const [after, length] of pauses) {
            step += after;
            toggles.set(step, "paused");
            step += length;
            toggles.set(step, "sending");
          }
          const { last } = await driveRun(runId, {
            ratePerMinute: 60_000,
            maxSteps: 2000,
            beforeStep: async (at) => {
              const status = toggles.get(at);
              if (status) await db.update(emailCampaigns).set({ status }).where(eq(emailCampaigns.id, campaignId));
            },
          });
          expect(last?.phase).toBe("done");
          const { recipients, captured } = await expectExactlyOnce(campaignId);
          expect(recipients.filter((r) => r.status === "sent")).toHaveLength(2000);
          expect(captured).toHaveLength(2000);
        },
      ),
      { numRuns: 3 },
    );
  }, 240_000);
});

describe("update_campaign_stats", () => {
  it("makes a sending run's counters exact again from its recipients", async () => {
    const setup = await sendingSetup({
      subscribers: [{ email: "c1@example.com" }, { email: "c2@example.com" }, { email: "c3@example.com" }],
    });
    const { campaignId, runId } = await startedRun(setup);
    await db.insert(campaignRecipients).values(
      ["sent", "failed", "unknown"].map((status, i) => ({
        id: `rcp_count_${i}`,
        workspace_id: setup.workspace.id,
        campaign_id: campaignId,
        run_id: runId,
        email: `c${i + 1}@example.com`,
        status: status as "sent",
      })),
    );
    const ran = await api("/admin/jobs/update_campaign_stats", { method: "POST", token: ADMIN_TOKEN });
    expect(ran.status, ran.text).toBe(200);
    expect(await readRun(runId)).toMatchObject({ sent_count: 1, failed_count: 1, unknown_count: 1 });
    expect(await readCampaign(campaignId)).toMatchObject({ sent_count: 1, failed_count: 1, unknown_count: 1 });
  });
});

describe("counters while a run is walked", () => {
  it("count a skipped subscriber as failed as soon as the fan-out writes it", async () => {
    const setup = await sendingSetup({ subscribers: [{ email: "later@example.com" }, { email: "blocked-now@example.com" }] });
    await setup.marketing("/suppressions", "POST", { email: "blocked-now@example.com" });
    const { campaignId, runId } = await startedRun(setup, { send_window: { start: "09:00", end: "10:00", timezone: "UTC" } });
    const step = await dispatchStep(
      { db, defaultRatePerMinute: 100, enqueue: async () => undefined },
      initialDispatchState(runId, Date.parse("2026-12-04T12:00:00Z")),
      Date.parse("2026-12-04T12:00:00Z"),
    );
    expect(step.phase).toBe("waiting_for_window");
    expect(await readRun(runId)).toMatchObject({ status: "sending", total_recipients: 2, failed_count: 1 });
    expect(await readCampaign(campaignId)).toMatchObject({ failed_count: 1 });
  });
});
