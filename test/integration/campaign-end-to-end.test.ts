import { env, exports } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import PostalMime from "postal-mime";
import { describe, expect, it } from "vitest";
import { capturedMessages } from "../../src/db/schema";
import { checkScheduledCampaigns } from "../../src/jobs/check-scheduled-campaigns.job";
import { db, sendingSetup } from "../factories/campaigns";

/**
 * These tests start campaigns through the API and let the real parts do the rest: the run's CampaignDispatcher
 * (its alarms), the send queue and its consumer, the capture provider. They wait for the outcome by polling.
 */
async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, limitMs = 30_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() - started > limitMs) throw new Error(`gave up waiting for ${what}: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe("a campaign sent through the API", { timeout: 90_000 }, () => {
  it("goes from draft to sent, and each subscriber's message is in the capture provider", async () => {
    const setup = await sendingSetup({
      subscribers: [{ email: "one@example.com" }, { email: "two@example.com" }, { email: "three@example.com" }],
    });
    const created = await setup.marketing("/campaigns", "POST", { name: "Launch", template_id: setup.template.id, list_id: setup.list.id });
    expect(created.status, created.text).toBe(201);
    const sent = await setup.marketing(`/campaigns/${created.json.id}/send`, "POST");
    expect(sent.status, sent.text).toBe(200);

    const campaign = await until(
      async () => (await setup.marketing(`/campaigns/${created.json.id}`)).json,
      (c) => c.status === "sent",
      "the campaign to be sent",
    );
    expect(campaign).toMatchObject({ total_recipients: 3, sent_count: 3, failed_count: 0 });
    const recipients = (await setup.marketing(`/campaigns/${created.json.id}/recipients`)).json.data;
    expect(recipients.map((r: { status: string }) => r.status)).toEqual(["sent", "sent", "sent"]);
    const messages = (await setup.infra(`/providers/${setup.providers[0].id}/messages?campaign_id=${created.json.id}`)).json.data;
    expect(messages.map((m: { to_email: string }) => m.to_email).sort()).toEqual([
      "one@example.com",
      "three@example.com",
      "two@example.com",
    ]);
  });

  it("counts the open and the click of a message it sent: the edge, the event queue, the cascade and the stats", async () => {
    const setup = await sendingSetup({
      template: {
        name: "Tracked",
        subject_template: "News",
        body_html: '<p>Hello</p><a href="https://example.com/offer">Offer</a>',
        body_text: "Offer: https://example.com/offer",
      },
      subscribers: [{ email: "reader@example.com" }],
    });
    const created = await setup.marketing("/campaigns", "POST", {
      name: "Tracked",
      template_id: setup.template.id,
      list_id: setup.list.id,
    });
    expect((await setup.marketing(`/campaigns/${created.json.id}/send`, "POST")).status).toBe(200);
    await until(
      async () => (await setup.marketing(`/campaigns/${created.json.id}`)).json,
      (c) => c.status === "sent",
      "the campaign to be sent",
    );
    const [captured] = await db.select().from(capturedMessages).where(eq(capturedMessages.campaign_id, created.json.id));
    const html = (await PostalMime.parse(captured.raw)).html ?? "";
    const pixel = /src="http:\/\/localhost:8787(\/t\/p\/[A-Za-z0-9_-]+\.gif)"/.exec(html)?.[1];
    const link = /href="http:\/\/localhost:8787(\/t\/c\/[A-Za-z0-9_-]+)"/.exec(html)?.[1];
    expect(pixel && link, html).toBeTruthy();

    // A person's mail client: the open is human; the click comes seconds after the send, as a scanner's would.
    const browser = { "user-agent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko)" };
    const opened = await exports.default.fetch(new Request(`http://localhost${pixel}`, { headers: browser }));
    expect(opened.headers.get("content-type")).toBe("image/gif");
    const clicked = await exports.default.fetch(new Request(`http://localhost${link}`, { headers: browser, redirect: "manual" }));
    expect(clicked.status).toBe(302);
    expect(clicked.headers.get("location")).toBe("https://example.com/offer");

    const stats = await until(
      async () => (await setup.marketing(`/campaigns/${created.json.id}/stats`)).json,
      (s) => s.opens?.total === 1 && s.clicks?.total === 1,
      "the open and the click to reach the stats",
    );
    expect(stats).toMatchObject({
      opens: { total: 1, human: 1 },
      unique_opens: { total: 1, human: 1 },
      clicks: { total: 1, human: 0, bot: 1 },
    });
    const campaign = (await setup.marketing(`/campaigns/${created.json.id}`)).json;
    expect(campaign).toMatchObject({ open_count: 1, unique_open_count: 1, click_count: 1 });
    const [recipient] = (await setup.marketing(`/campaigns/${created.json.id}/recipients`)).json.data;
    expect(recipient.status).toBe("clicked");
  });

  it("runs a recurring campaign twice, each run with its own recipients and counts", async () => {
    const setup = await sendingSetup({ subscribers: [{ email: "weekly1@example.com" }, { email: "weekly2@example.com" }] });
    const created = await setup.marketing("/campaigns", "POST", {
      name: "Weekly digest",
      campaign_type: "recurring",
      template_id: setup.template.id,
      list_id: setup.list.id,
      schedule: { cron: "0 9 * * 1", timezone: "Europe/Paris" },
    });
    expect(created.status, created.text).toBe(201);
    const scheduled = await setup.marketing(`/campaigns/${created.json.id}/schedule`, "POST", {});
    expect(scheduled.status, scheduled.text).toBe(200);
    const firstRunAt = new Date(scheduled.json.scheduled_at);

    const runOnce = async (at: Date) => {
      const result = await checkScheduledCampaigns.run({ db, env, now: at });
      expect(result.started, JSON.stringify(result)).toBeGreaterThanOrEqual(1);
      return until(
        async () => (await setup.marketing(`/campaigns/${created.json.id}`)).json,
        (c) => c.status === "scheduled" && c.current_run_id === null,
        "the run to finish and the campaign to be scheduled again",
      );
    };
    const afterFirst = await runOnce(firstRunAt);
    expect(Date.parse(afterFirst.scheduled_at) - firstRunAt.getTime()).toBe(7 * 86_400_000);
    await runOnce(new Date(afterFirst.scheduled_at));

    const runs = (await setup.marketing(`/campaigns/${created.json.id}/runs`)).json.data;
    expect(runs).toHaveLength(2);
    for (const run of runs) expect(run).toMatchObject({ status: "sent", total_recipients: 2, sent_count: 2 });
    const recipients = (await setup.marketing(`/campaigns/${created.json.id}/recipients?limit=10`)).json.data;
    expect(recipients).toHaveLength(4);
    expect(new Set(recipients.map((r: { run_id: string }) => r.run_id)).size).toBe(2);
    expect((await setup.marketing(`/campaigns/${created.json.id}`)).json).toMatchObject({ run_count: 2, sent_count: 4 });
  });
});
