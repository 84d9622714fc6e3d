import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client";
import { campaignRecipients, emailCampaigns } from "../../src/db/schema";
import { newId } from "../../src/lib/ids";
import { campaignWorkspace, insertSendingDomain } from "../factories/campaigns";

const db = () => createDb(env.DB);
const inAnHour = () => new Date(Date.now() + 3_600_000).toISOString();
const anHourAgo = () => new Date(Date.now() - 3_600_000).toISOString();
const pathsOf = (res: { json: { errors?: { path: string }[] } }) => (res.json.errors ?? []).map((e) => e.path).sort();

describe("campaign CRUD", () => {
  it("creates a draft with every field, reads, lists, changes and deletes it", async () => {
    const { campaigns, call, template, list, identity } = await campaignWorkspace();
    await call("email-marketing/categories", "POST", { slug: "news", name: "News" });
    const pool = await call("email-infrastructure/pools", "POST", { name: "Lane", routing_config: { strategy: "priority" } });
    const body = {
      name: "December",
      description: "The year in review",
      template_id: template.slug,
      category: "news",
      list_id: list.id,
      audience_filters: { and: [{ field: "attributes.plan", op: "eq", value: "pro" }, { list: { op: "member", list_id: list.id } }] },
      send_window: { start: "22:00", end: "06:00", timezone: "subscriber" },
      from_name: "Acme",
      from_email: identity.email,
      reply_to: "support@example.com",
      template_context: { issue: 12 },
      sending_pool_id: pool.json.id,
      sending_identity_id: identity.id,
      routing_config: { strategy: "weighted", preferred_providers: ["capture"], fallback_enabled: false },
      send_rate_per_minute: 600,
      scheduled_at: "2099-01-01T09:00:00+01:00",
    };
    const created = await campaigns("", "POST", body);
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      ...body,
      template_id: template.id,
      scheduled_at: "2099-01-01T08:00:00.000Z",
      campaign_type: "one_time",
      status: "draft",
      schedule: null,
      template_version: null,
      current_run_id: null,
      run_count: 0,
      total_recipients: 0,
      sent_count: 0,
      failed_count: 0,
      unknown_count: 0,
      started_at: null,
      completed_at: null,
    });
    expect(created.json.id).toMatch(/^cmp_/);
    expect((await campaigns(`/${created.json.id}`)).json).toEqual(created.json);

    const recurring = await campaigns("", "POST", {
      name: "Weekly",
      campaign_type: "recurring",
      schedule: { cron: "0 9 * * 1", timezone: "Europe/Berlin" },
    });
    expect(recurring.status).toBe(201);
    expect(recurring.json).toMatchObject({ schedule: { cron: "0 9 * * 1", timezone: "Europe/Berlin" }, template_id: null, list_id: null });

    const all = await campaigns("?limit=1");
    expect(all.json.data.map((c: { id: string }) => c.id)).toEqual([recurring.json.id]);
    const rest = await campaigns(`?limit=1&cursor=${all.json.next_cursor}`);
    expect(rest.json).toEqual({ data: [created.json], next_cursor: null });
    expect((await campaigns("?campaign_type=recurring")).json.data.map((c: { id: string }) => c.id)).toEqual([recurring.json.id]);
    expect((await campaigns("?status=sending")).json.data).toEqual([]);

    const changed = await campaigns(`/${created.json.id}`, "PATCH", {
      name: "December issue",
      category: null,
      audience_filters: null,
      send_window: null,
      send_rate_per_minute: null,
    });
    expect(changed.status).toBe(200);
    expect(changed.json).toMatchObject({
      name: "December issue",
      category: null,
      audience_filters: null,
      send_window: null,
      send_rate_per_minute: null,
      list_id: list.id,
    });

    expect((await campaigns(`/${created.json.id}`, "DELETE")).status).toBe(204);
    expect((await campaigns(`/${created.json.id}`)).status).toBe(404);
  });

  it("answers 422 naming the path of every malformed field, and stores nothing", async () => {
    const { campaigns } = await campaignWorkspace();
    const res = await campaigns("", "POST", {
      name: " ",
      campaign_type: "weekly",
      scheduled_at: "tomorrow",
      schedule: { cron: "every monday", timezone: "Mars/Base" },
      send_window: { start: "9am", end: "25:00", timezone: "Nowhere/Land" },
      audience_filters: { field: "email", op: "eq" },
      routing_config: { strategy: "fastest" },
      send_rate_per_minute: 0,
      from_email: "not an address",
      reply_to: "nope",
      category: "Not A Slug",
      template_context: [],
    });
    expect(res.status).toBe(422);
    expect(pathsOf(res)).toEqual(
      [
        "name",
        "campaign_type",
        "scheduled_at",
        "schedule.cron",
        "schedule.timezone",
        "send_window.start",
        "send_window.end",
        "send_window.timezone",
        "audience_filters.value",
        "routing_config.strategy",
        "send_rate_per_minute",
        "from_email",
        "reply_to",
        "category",
        "template_context",
      ].sort(),
    );
    expect(pathsOf(await campaigns("", "POST", { name: "x", send_rate_per_minute: 1_000_001 }))).toEqual(["send_rate_per_minute"]);
    expect(pathsOf(await campaigns("", "POST", { name: "x", surprise: true }))).toEqual(["surprise"]);
    const emptyWindow = await campaigns("", "POST", { name: "x", send_window: { start: "09:00", end: "09:00", timezone: "UTC" } });
    expect(pathsOf(emptyWindow)).toEqual(["send_window.end"]);
    // Stored on the campaign's row and read for every recipient: a D1 row cannot hold megabytes.
    const hugeContext = { blob: "x".repeat(70_000) };
    expect(pathsOf(await campaigns("", "POST", { name: "x", template_context: hugeContext }))).toEqual(["template_context"]);
    expect((await campaigns("")).json.data).toEqual([]);
  });

  it("keeps a list that a campaign may still send to: its delete is a 409 naming the campaign, until the campaign is done", async () => {
    const { call, campaigns, draft } = await campaignWorkspace();
    const other = await call("email-marketing/lists", "POST", { name: "Filtered" });
    const byListId = await draft({ scheduled_at: inAnHour() });
    await campaigns(`/${byListId.id}/schedule`, "POST", {});
    const byFilter = await draft({ list_id: null, audience_filters: { list: { op: "member", list_id: other.json.id } } });

    const refused = await call(`email-marketing/lists/${byListId.list_id}`, "DELETE");
    expect(refused.status).toBe(409);
    expect(refused.json.detail).toContain(byListId.id);
    const refusedByFilter = await call(`email-marketing/lists/${other.json.id}`, "DELETE");
    expect(refusedByFilter.status).toBe(409);
    expect(refusedByFilter.json.detail).toContain(byFilter.id);
    expect((await call(`email-marketing/lists/${byListId.list_id}`)).status).toBe(200);

    await campaigns(`/${byListId.id}/cancel`, "POST");
    expect((await call(`email-marketing/lists/${byListId.list_id}`, "DELETE")).status).toBe(204);
  });

  it("refuses references that are unknown or another workspace's, with their paths (422), and stores nothing", async () => {
    const mine = await campaignWorkspace();
    const theirs = await campaignWorkspace();
    const theirPool = await theirs.call("email-infrastructure/pools", "POST", { name: "Theirs", routing_config: { strategy: "priority" } });
    await theirs.call("email-marketing/categories", "POST", { slug: "theirs", name: "Theirs" });
    for (const references of [
      {
        template_id: "tpl_01JD8Z6W3B2C4D5E6F7G8H9J0K",
        list_id: "lst_01JD8Z6W3B2C4D5E6F7G8H9J0K",
        sending_pool_id: "pool_01JD8Z6W3B2C4D5E6F7G8H9J0K",
        sending_identity_id: "idn_01JD8Z6W3B2C4D5E6F7G8H9J0K",
        category: "nope",
        audience_filters: { or: [{ field: "name", op: "exists" }, { not: { list: { op: "member", list_id: "lst_nope" } } }] },
        routing_config: { strategy: "priority", preferred_providers: ["ses", "prv_01JD8Z6W3B2C4D5E6F7G8H9J0K"] },
      },
      {
        template_id: theirs.template.id,
        list_id: theirs.list.id,
        sending_pool_id: theirPool.json.id,
        sending_identity_id: theirs.identity.id,
        category: "theirs",
        audience_filters: { or: [{ field: "name", op: "exists" }, { not: { list: { op: "member", list_id: theirs.list.id } } }] },
        routing_config: { strategy: "priority", preferred_providers: ["ses", theirs.template.id] },
      },
    ]) {
      const res = await mine.campaigns("", "POST", { name: "x", ...references });
      expect(res.status).toBe(422);
      expect(pathsOf(res)).toEqual(
        [
          "template_id",
          "list_id",
          "sending_pool_id",
          "sending_identity_id",
          "category",
          "audience_filters.or.1.not.list.list_id",
          "routing_config.preferred_providers.1",
        ].sort(),
      );
    }
    await theirs.call("email-marketing/templates", "POST", {
      name: "Theirs",
      slug: "theirs-only",
      subject_template: "Hi",
      body_html: "<p>Hi</p>",
    });
    const byTheirSlug = await mine.campaigns("", "POST", { name: "x", template_id: "theirs-only" });
    expect(pathsOf(byTheirSlug)).toEqual(["template_id"]);
    expect((await mine.campaigns("")).json.data).toEqual([]);

    const draft = await mine.draft();
    expect(pathsOf(await mine.campaigns(`/${draft.id}`, "PATCH", { list_id: theirs.list.id }))).toEqual(["list_id"]);
    expect((await mine.campaigns(`/${draft.id}`)).json.list_id).toBe(mine.list.id);
  });

  it("refuses an identity whose domain cannot send, unless the workspace sends only through capture", async () => {
    const smtp = await campaignWorkspace({ provider: "smtp" });
    for (const status of ["pending", "failed"] as const) {
      const domain = await insertSendingDomain(smtp.workspace.id, status);
      const identity = await smtp.call("email-infrastructure/identities", "POST", { domain_id: domain.id, email: `hi@${domain.domain}` });
      const res = await smtp.campaigns("", "POST", { name: "x", sending_identity_id: identity.json.id });
      expect(res.status).toBe(422);
      expect(res.json.errors).toEqual([
        { location: "body", path: "sending_identity_id", message: expect.stringContaining(`${domain.domain} is ${status}`) },
      ]);
    }
    for (const status of ["verified", "active", "warming"] as const) {
      const domain = await insertSendingDomain(smtp.workspace.id, status);
      const identity = await smtp.call("email-infrastructure/identities", "POST", { domain_id: domain.id, email: `hi@${domain.domain}` });
      expect((await smtp.campaigns("", "POST", { name: status, sending_identity_id: identity.json.id })).status).toBe(201);
    }

    const capture = await campaignWorkspace({ provider: "capture" });
    const pending = await insertSendingDomain(capture.workspace.id, "pending");
    const identity = await capture.call("email-infrastructure/identities", "POST", {
      domain_id: pending.id,
      email: `hi@${pending.domain}`,
    });
    expect((await capture.campaigns("", "POST", { name: "x", sending_identity_id: identity.json.id })).status).toBe(201);
  });

  it("refuses a past scheduled_at, a recurring campaign without a schedule and a schedule on any other", async () => {
    const { campaigns, draft } = await campaignWorkspace();
    const past = await campaigns("", "POST", { name: "x", scheduled_at: anHourAgo() });
    expect(past.json.errors).toEqual([{ location: "body", path: "scheduled_at", message: "must be in the future" }]);
    // Year 10000 would be stored as "+010000-…", which sorts before every time and would be due at once.
    const farFuture = await campaigns("", "POST", { name: "x", scheduled_at: "9999-12-31T23:59:59-23:59" });
    expect(farFuture.json.errors).toEqual([{ location: "body", path: "scheduled_at", message: "must be before the year 10000" }]);
    expect(pathsOf(await campaigns("", "POST", { name: "x", campaign_type: "recurring" }))).toEqual(["schedule"]);
    expect(pathsOf(await campaigns("", "POST", { name: "x", schedule: { cron: "@daily", timezone: "UTC" } }))).toEqual(["schedule"]);
    expect(pathsOf(await campaigns("", "POST", { name: "x", campaign_type: "triggered", scheduled_at: inAnHour() }))).toEqual([
      "scheduled_at",
    ]);
    expect(pathsOf(await campaigns("", "POST", { name: "x", schedule: { cron: "0 0 30 2 *", timezone: "UTC" } }))).toEqual([
      "schedule.cron",
    ]);

    const campaign = await draft();
    expect(pathsOf(await campaigns(`/${campaign.id}`, "PATCH", { campaign_type: "recurring" }))).toEqual(["schedule"]);
    expect(pathsOf(await campaigns(`/${campaign.id}`, "PATCH", { scheduled_at: anHourAgo() }))).toEqual(["scheduled_at"]);
    const recurring = await campaigns(`/${campaign.id}`, "PATCH", {
      campaign_type: "recurring",
      schedule: { cron: "0 9 * * *", timezone: "Asia/Tokyo" },
    });
    expect(recurring.status).toBe(200);
    expect(pathsOf(await campaigns(`/${campaign.id}`, "PATCH", { campaign_type: "one_time" }))).toEqual(["schedule"]);
    expect((await campaigns(`/${campaign.id}`, "PATCH", { campaign_type: "one_time", schedule: null })).json.schedule).toBeNull();
  });
});

describe("campaigns of another workspace", () => {
  it("are 404 on every path", async () => {
    const mine = await campaignWorkspace();
    const theirs = await campaignWorkspace();
    const campaign = await theirs.draft();
    await theirs.campaigns(`/${campaign.id}/send`, "POST");
    const run = (await theirs.campaigns(`/${campaign.id}/runs`)).json.data[0];
    const recipientId = newId("rcp");
    await db()
      .insert(campaignRecipients)
      .values({ id: recipientId, workspace_id: theirs.workspace.id, campaign_id: campaign.id, run_id: run.id, email: "x@example.com" });
    expect((await theirs.campaigns(`/${campaign.id}/recipients/${recipientId}`)).status).toBe(200);
    for (const [path, method, body] of [
      [`/${campaign.id}`, "GET"],
      [`/${campaign.id}`, "PATCH", { name: "Mallory" }],
      [`/${campaign.id}`, "DELETE"],
      [`/${campaign.id}/schedule`, "POST", {}],
      [`/${campaign.id}/send`, "POST"],
      [`/${campaign.id}/pause`, "POST"],
      [`/${campaign.id}/resume`, "POST"],
      [`/${campaign.id}/cancel`, "POST"],
      [`/${campaign.id}/recipients`, "GET"],
      [`/${campaign.id}/recipients/${recipientId}`, "GET"],
      [`/${campaign.id}/runs`, "GET"],
      [`/${campaign.id}/runs/${run.id}`, "GET"],
    ] as const) {
      expect((await mine.campaigns(path, method, body)).status, `${method} ${path}`).toBe(404);
    }
    const myCampaign = await mine.draft();
    expect((await mine.campaigns(`/${myCampaign.id}/runs/${run.id}`)).status).toBe(404);
    expect((await theirs.campaigns(`/${campaign.id}`)).json).toMatchObject({ name: "December", status: "sending" });
  });
});

describe("PATCH and DELETE by state", () => {
  it("changes a draft, a scheduled and a paused campaign, but nothing that is sending, sent or cancelled", async () => {
    const { campaigns, draft } = await campaignWorkspace();
    const scheduled = await draft({ scheduled_at: inAnHour() });
    await campaigns(`/${scheduled.id}/schedule`, "POST", {});
    const later = new Date(Date.now() + 7_200_000).toISOString();
    const moved = await campaigns(`/${scheduled.id}`, "PATCH", { scheduled_at: later, name: "Moved" });
    expect(moved.json).toMatchObject({ status: "scheduled", scheduled_at: later, name: "Moved" });
    expect(pathsOf(await campaigns(`/${scheduled.id}`, "PATCH", { scheduled_at: null }))).toEqual(["scheduled_at"]);

    const sending = await draft();
    await campaigns(`/${sending.id}/send`, "POST");
    const refused = await campaigns(`/${sending.id}`, "PATCH", { name: "x" });
    expect(refused.status).toBe(409);
    expect(refused.json.detail).toContain("campaign is sending");

    await campaigns(`/${sending.id}/pause`, "POST");
    expect((await campaigns(`/${sending.id}`, "PATCH", { name: "Renamed while paused", send_rate_per_minute: 10 })).json).toMatchObject({
      name: "Renamed while paused",
      send_rate_per_minute: 10,
      status: "paused",
    });
    for (const field of ["template_id", "list_id", "audience_filters", "campaign_type"] as const) {
      const change = { template_id: null, list_id: null, audience_filters: { field: "name", op: "exists" }, campaign_type: "triggered" }[
        field
      ];
      const res = await campaigns(`/${sending.id}`, "PATCH", { [field]: change });
      expect(res.status, field).toBe(409);
      expect(res.json.detail).toContain(field);
      expect(res.json.detail).toContain("paused");
    }
    // A client that sends back what it read, with one edit, changes nothing frozen: that is not refused.
    const { json: asRead } = await campaigns(`/${sending.id}`);
    const echoed = await campaigns(`/${sending.id}`, "PATCH", {
      name: "Edited as read",
      campaign_type: asRead.campaign_type,
      template_id: asRead.template_id,
      list_id: asRead.list_id,
      audience_filters: asRead.audience_filters,
    });
    expect(echoed.status, echoed.text).toBe(200);
    expect(echoed.json).toMatchObject({ name: "Edited as read", template_id: asRead.template_id, status: "paused" });

    await campaigns(`/${sending.id}/cancel`, "POST");
    const cancelled = await campaigns(`/${sending.id}`, "PATCH", { name: "x" });
    expect(cancelled.status).toBe(409);
    expect(cancelled.json.detail).toContain("campaign is cancelled");

    const sent = await draft();
    await db().update(emailCampaigns).set({ status: "sent" }).where(eq(emailCampaigns.id, sent.id));
    expect((await campaigns(`/${sent.id}`, "PATCH", { name: "x" })).json.detail).toContain("campaign is sent");
  });

  it("moves a scheduled recurring campaign to its new schedule's next occurrence", async () => {
    const { campaigns, draft } = await campaignWorkspace();
    const weekly = await draft({ campaign_type: "recurring", schedule: { cron: "0 9 * * 1", timezone: "UTC" } });
    const scheduled = await campaigns(`/${weekly.id}/schedule`, "POST", {});
    expect(new Date(scheduled.json.scheduled_at).getUTCDay()).toBe(1);
    const moved = await campaigns(`/${weekly.id}`, "PATCH", { schedule: { cron: "30 6 * * 5", timezone: "America/Los_Angeles" } });
    const at = new Date(moved.json.scheduled_at);
    expect(at.getTime()).toBeGreaterThan(Date.now());
    expect(at.getTime() - Date.now()).toBeLessThanOrEqual(8 * 86_400_000);
    expect(
      at.toLocaleString("en-US", { timeZone: "America/Los_Angeles", weekday: "short", hour: "2-digit", minute: "2-digit", hour12: false }),
    ).toBe("Fri 06:30");
  });

  it("deletes only a draft", async () => {
    const { campaigns, draft } = await campaignWorkspace();
    const scheduled = await draft({ scheduled_at: inAnHour() });
    await campaigns(`/${scheduled.id}/schedule`, "POST", {});
    const refused = await campaigns(`/${scheduled.id}`, "DELETE");
    expect(refused.status).toBe(409);
    expect(refused.json.detail).toContain("campaign is scheduled");
    await campaigns(`/${scheduled.id}/cancel`, "POST");
    expect((await campaigns(`/${scheduled.id}`, "DELETE")).json.detail).toContain("campaign is cancelled");
    expect((await campaigns(`/${scheduled.id}`)).status).toBe(200);
  });
});

describe("recipients and runs", () => {
  it("pages a campaign's recipients with their delivery details, filtered by status and run", async () => {
    const { campaigns, draft, workspace, identity, domain, call } = await campaignWorkspace();
    // An empty audience: the rows below are the run's only recipients, whatever its dispatcher does meanwhile.
    const empty = await call("email-marketing/lists", "POST", { name: "Nobody yet" });
    const campaign = await draft({ list_id: empty.json.id });
    await campaigns(`/${campaign.id}/send`, "POST");
    const run = (await campaigns(`/${campaign.id}/runs`)).json.data[0];
    const rows = ["a", "b", "c"].map((name, i) => ({
      id: newId("rcp", Date.now() + i),
      workspace_id: workspace.id,
      campaign_id: campaign.id,
      run_id: run.id,
      email: `${name}@example.com`,
      recipient_name: name.toUpperCase(),
      status: (["sent", "failed", "sent"] as const)[i],
      failure_reason: i === 1 ? "suppressed" : null,
      failure_detail: i === 1 ? "the address bounced before" : null,
      provider_id: i === 1 ? null : "prv_x",
      provider_message_id: i === 1 ? null : `<${name}@mail>`,
      sending_domain_id: i === 1 ? null : domain.id,
      sending_identity_id: i === 1 ? null : identity.id,
      sent_at: i === 1 ? null : "2026-12-01T00:00:00.000Z",
    }));
    for (const row of rows) await db().insert(campaignRecipients).values(row);

    const first = await campaigns(`/${campaign.id}/recipients?limit=2`);
    expect(first.json.data.map((r: { email: string }) => r.email)).toEqual(["a@example.com", "b@example.com"]);
    expect(first.json.data[0]).toMatchObject({
      run_id: run.id,
      status: "sent",
      provider_id: "prv_x",
      provider_message_id: "<a@mail>",
      sending_domain_id: domain.id,
      sending_identity_id: identity.id,
      sent_at: "2026-12-01T00:00:00.000Z",
      failure_reason: null,
    });
    const second = await campaigns(`/${campaign.id}/recipients?limit=2&cursor=${first.json.next_cursor}`);
    expect(second.json).toMatchObject({ data: [{ email: "c@example.com" }], next_cursor: null });

    const failed = await campaigns(`/${campaign.id}/recipients?status=failed`);
    expect(failed.json.data).toEqual([
      expect.objectContaining({ email: "b@example.com", failure_reason: "suppressed", failure_detail: "the address bounced before" }),
    ]);
    expect((await campaigns(`/${campaign.id}/recipients?run_id=run_other`)).json.data).toEqual([]);
    expect(pathsOf(await campaigns(`/${campaign.id}/recipients?status=lost`))).toEqual(["status"]);
    expect(pathsOf(await campaigns(`/${campaign.id}/recipients?cursor=%%%`))).toEqual(["cursor"]);

    const one = await campaigns(`/${campaign.id}/recipients/${rows[1].id}`);
    expect(one.json).toEqual(failed.json.data[0]);
    const other = await draft();
    expect((await campaigns(`/${other.id}/recipients/${rows[1].id}`)).status).toBe(404);

    expect((await campaigns(`/${campaign.id}/runs/${run.id}`)).json).toMatchObject({
      id: run.id,
      campaign_id: campaign.id,
      run_number: 1,
      // Every recipient above is terminal, so the run's dispatcher may already have finished it.
      status: expect.stringMatching(/^(sending|sent)$/),
      template_version: 1,
    });
    expect((await campaigns(`/${campaign.id}/runs/run_01JD8Z6W3B2C4D5E6F7G8H9J0K`)).status).toBe(404);
  });
});
