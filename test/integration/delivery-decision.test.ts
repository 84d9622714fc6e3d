import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client";
import { campaignRecipients, emailCampaigns, subscribers } from "../../src/db/schema";
import { crossCampaignOutcomes, decideDeliveries, skipReasons } from "../../src/domain/campaigns/delivery-decision";
import { newId } from "../../src/lib/ids";
import { api, createWorkspace } from "../factories/api";

const db = createDb(env.DB);
const now = new Date("2026-11-28T12:00:00Z");

async function workspaceWith(emails: string[]) {
  const { workspace, key } = await createWorkspace();
  const call = (path: string, method = "GET", body?: unknown) =>
    api(`/workspaces/${workspace.id}/email-marketing${path}`, { method, token: key, body });
  await call("/categories", "POST", { slug: "marketing", name: "Marketing" });
  const { json: list } = await call("/lists", "POST", { name: "All" });
  await call(`/lists/${list.id}/subscribers`, "POST", { subscribers: emails.map((email) => ({ email })) });
  const rows = await db.select().from(subscribers).where(eq(subscribers.workspace_id, workspace.id));
  const byEmail = (email: string) => rows.find((r) => r.email === email) as (typeof rows)[number];
  return { workspace, call, byEmail, rows };
}

async function pastCampaign(
  workspaceId: string,
  recipients: { email: string; subscriber_id?: string; status: string; sent_at?: string }[],
) {
  const id = newId("cmp");
  await db.insert(emailCampaigns).values({ id, workspace_id: workspaceId, name: "Earlier", status: "sent" });
  await db.insert(campaignRecipients).values(
    recipients.map((r) => ({
      id: newId("rcp"),
      workspace_id: workspaceId,
      campaign_id: id,
      email: r.email,
      subscriber_id: r.subscriber_id ?? null,
      status: r.status as "sent",
      sent_at: r.sent_at ?? null,
    })),
  );
}

describe("decideDeliveries", () => {
  it("gives each skip reason on a minimal case, and sends to everyone else", async () => {
    const emails = [
      "ok@example.com",
      "unsub@example.com",
      "bounced@example.com",
      "complained@example.com",
      "optout@example.com",
      "listed@example.com",
      "anyone@blocked.example",
      "bounced-elsewhere@example.com",
      "complained-elsewhere@example.com",
      "daily@example.com",
    ];
    const w = await workspaceWith(emails);
    await w.call(`/subscribers/${w.byEmail("unsub@example.com").id}`, "PATCH", { status: "unsubscribed" });
    await db
      .update(subscribers)
      .set({ status: "bounced" })
      .where(eq(subscribers.id, w.byEmail("bounced@example.com").id));
    await db
      .update(subscribers)
      .set({ status: "complained" })
      .where(eq(subscribers.id, w.byEmail("complained@example.com").id));
    await w.call(`/subscribers/${w.byEmail("optout@example.com").id}`, "PATCH", { preferences: { marketing: false } });
    await w.call("/suppressions", "POST", { email: "listed@example.com" });
    await w.call("/suppressions", "POST", { domain: "blocked.example" });
    await w.call(`/subscribers/${w.byEmail("daily@example.com").id}`, "PATCH", { frequency: "daily" });
    await pastCampaign(w.workspace.id, [
      { email: "bounced-elsewhere@example.com", status: "bounced" },
      { email: "complained-elsewhere@example.com", status: "complained" },
      {
        email: "daily@example.com",
        subscriber_id: w.byEmail("daily@example.com").id,
        status: "delivered",
        sent_at: "2026-11-28T02:00:00.000Z",
      },
      { email: "ok@example.com", subscriber_id: w.byEmail("ok@example.com").id, status: "delivered", sent_at: "2026-11-28T02:00:00.000Z" },
    ]);

    const page = await db.select().from(subscribers).where(eq(subscribers.workspace_id, w.workspace.id));
    const campaign = { id: "cmp_now", workspace_id: w.workspace.id, category_slug: "marketing" };
    const decisions = await decideDeliveries(db, campaign, page, now);
    const reasonOf = (email: string) => {
      const d = decisions.get(w.byEmail(email).id);
      return d?.send ? "send" : d?.reason;
    };
    expect(Object.fromEntries(emails.map((e) => [e, reasonOf(e)]))).toEqual({
      "ok@example.com": "send",
      "unsub@example.com": "unsubscribed",
      "bounced@example.com": "bounced",
      "complained@example.com": "complained",
      "optout@example.com": "category_opt_out",
      "listed@example.com": "suppression_list",
      "anyone@blocked.example": "suppression_list",
      "bounced-elsewhere@example.com": "cross_campaign_bounce",
      "complained-elsewhere@example.com": "cross_campaign_complaint",
      "daily@example.com": "frequency_cap",
    });
    const reasons = new Set([...decisions.values()].flatMap((d) => (d.send ? [] : [d.reason])));
    expect([...reasons].sort()).toEqual([...skipReasons].sort());
  });

  it("lets a daily subscriber receive again once the day has passed", async () => {
    const w = await workspaceWith(["daily@example.com"]);
    const s = w.byEmail("daily@example.com");
    await w.call(`/subscribers/${s.id}`, "PATCH", { frequency: "daily" });
    await pastCampaign(w.workspace.id, [{ email: s.email, subscriber_id: s.id, status: "opened", sent_at: "2026-11-27T11:00:00.000Z" }]);
    const [fresh] = await db.select().from(subscribers).where(eq(subscribers.id, s.id));
    const decisions = await decideDeliveries(db, { id: "cmp_x", workspace_id: w.workspace.id, category_slug: null }, [fresh], now);
    expect(decisions.get(s.id)).toEqual({ send: true });
  });

  it("never lets one workspace's suppressions, bounces or opt-outs affect another", async () => {
    const a = await workspaceWith(["shared@example.com"]);
    const b = await workspaceWith(["shared@example.com"]);
    await a.call("/suppressions", "POST", { email: "shared@example.com" });
    await a.call("/suppressions", "POST", { domain: "example.com" });
    await a.call(`/subscribers/${a.byEmail("shared@example.com").id}`, "PATCH", {
      status: "unsubscribed",
      preferences: { marketing: false },
    });
    await pastCampaign(a.workspace.id, [{ email: "shared@example.com", status: "complained" }]);

    const decisions = await decideDeliveries(db, { id: "cmp_b", workspace_id: b.workspace.id, category_slug: "marketing" }, b.rows, now);
    expect(decisions.get(b.byEmail("shared@example.com").id)).toEqual({ send: true });
  });
});

describe("the cross-campaign check", () => {
  it("looks addresses up in the partial index of bounces and complaints, not through the workspace's whole history", async () => {
    const query = crossCampaignOutcomes(db, { id: "cmp_now", workspace_id: "ws_x", category_slug: null }, [
      "a@example.com",
      "b@example.com",
    ]).toSQL();
    const plan = await env.DB.prepare(`explain query plan ${query.sql}`)
      .bind(...query.params)
      .all<{ detail: string }>();
    expect(plan.results.map((row) => row.detail).join("\n")).toContain("campaign_recipients_bounced_email_idx");
  });
});
