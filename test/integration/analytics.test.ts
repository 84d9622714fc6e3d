import { describe, expect, it } from "vitest";
import { berlinCampaign, campaignWithRecipients, countedFromRaw, paths, rawEvents } from "../factories/analytics";
import { api, createWorkspace } from "../factories/api";

describe("campaign stats", () => {
  it("counts sends, provider events, and opens and clicks human and total, with their rates", async () => {
    const { workspace, key, campaignId } = await berlinCampaign();
    const res = await api(paths(workspace.id, campaignId).stats, { token: key });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      campaign_id: campaignId,
      recipients: 6,
      sent: 4,
      failed: 1,
      unknown: 1,
      delivered: 3,
      bounced: 1,
      complained: 1,
      unsubscribed: 1,
      opens: { total: 6, human: 5, proxy: 1, bot: 0 },
      unique_opens: { total: 3, human: 3 },
      clicks: { total: 5, human: 3, proxy: 0, bot: 2 },
      unique_clicks: { total: 2, human: 2 },
      rates: {
        delivery: 0.75,
        open: { total: 1, human: 1 },
        click: { total: 0.6667, human: 0.6667 },
        click_to_open: { total: 0.6667, human: 0.6667 },
        bounce: 0.25,
        complaint: 0.3333,
        unsubscribe: 0.3333,
      },
    });
    const raw = await countedFromRaw(campaignId);
    expect(raw).toEqual({
      opens: 6,
      unique_opens: 3,
      human_unique_opens: 3,
      clicks: 5,
      unique_clicks: 2,
      human_unique_clicks: 2,
      delivered: 3,
    });
  });

  it("is a 404 for another workspace's campaign", async () => {
    const { campaignId } = await berlinCampaign();
    const other = await createWorkspace();
    for (const path of Object.values(paths(other.workspace.id, campaignId)).filter((p) => !p.includes("overview"))) {
      expect((await api(path, { token: other.key })).status, path).toBe(404);
    }
  });
});

describe("campaign timeline", () => {
  it("buckets days at the workspace's local midnights, across the end of summer time", async () => {
    const { workspace, key, campaignId } = await berlinCampaign();
    const res = await api(paths(workspace.id, campaignId).day, { token: key });
    expect(res.status).toBe(200);
    expect(res.json.timezone).toBe("Europe/Berlin");
    const days = res.json.data.map((b: any) => ({
      start: b.start,
      local_start: b.local_start,
      opens: b.opens.total,
      human_opens: b.opens.human,
      clicks: b.clicks.total,
      delivered: b.delivered,
      complained: b.complained,
    }));
    expect(days).toEqual([
      // Oct 24 (CEST, UTC+2) starts at 22:00 UTC the day before: the sends, the proxy open and the 23:30 local open.
      {
        start: "2026-10-23T22:00:00.000Z",
        local_start: "2026-10-24T00:00",
        opens: 2,
        human_opens: 1,
        clicks: 2,
        delivered: 3,
        complained: 0,
      },
      // Oct 25 starts at 22:00 UTC (still CEST) and is 25 hours long: until 23:00 UTC.
      {
        start: "2026-10-24T22:00:00.000Z",
        local_start: "2026-10-25T00:00",
        opens: 3,
        human_opens: 3,
        clicks: 3,
        delivered: 0,
        complained: 0,
      },
      // Oct 26 (CET, UTC+1) starts at 23:00 UTC.
      {
        start: "2026-10-25T23:00:00.000Z",
        local_start: "2026-10-26T00:00",
        opens: 1,
        human_opens: 1,
        clicks: 0,
        delivered: 0,
        complained: 1,
      },
    ]);
  });

  it("gives hour buckets their local start, twice for the hour that happens twice, and keeps the hours in from/to", async () => {
    const { workspace, key, campaignId, recipients, raw } = await berlinCampaign();
    await raw.hit(recipients[3]!.id, "open", "2026-10-25T00:10:00.000Z");
    const base = paths(workspace.id, campaignId).hour;
    const res = await api(`${base}&from=2026-10-25T00:30:00Z&to=2026-10-25T02:00:00Z`, { token: key });
    expect(res.status).toBe(200);
    expect(res.json.data.map((b: any) => [b.start, b.local_start, b.opens.total, b.clicks.total])).toEqual([
      ["2026-10-25T00:00:00.000Z", "2026-10-25T02:00", 1, 1],
      ["2026-10-25T01:00:00.000Z", "2026-10-25T02:00", 1, 1],
    ]);
  });

  it("refuses a bad interval or range with the parameter's path", async () => {
    const { workspace, key, campaignId } = await berlinCampaign();
    const base = `/workspaces/${workspace.id}/email-marketing/campaigns/${campaignId}/timeline`;
    const badInterval = await api(`${base}?interval=week`, { token: key });
    expect(badInterval.status).toBe(422);
    expect(badInterval.json.errors.map((e: any) => [e.location, e.path])).toEqual([["query", "interval"]]);
    const badFrom = await api(`${base}?from=yesterday`, { token: key });
    expect(badFrom.status).toBe(422);
    expect(badFrom.json.errors.map((e: any) => e.path)).toEqual(["from"]);
    const backwards = await api(`${base}?from=2026-10-25T00:00:00Z&to=2026-10-24T00:00:00Z`, { token: key });
    expect(backwards.status).toBe(422);
    expect(backwards.json.errors.map((e: any) => e.path)).toEqual(["to"]);
  });
});

describe("links and devices", () => {
  it("lists clicks and unique clickers per URL, human and total", async () => {
    const { workspace, key, campaignId } = await berlinCampaign();
    const res = await api(paths(workspace.id, campaignId).links, { token: key });
    expect(res.json.data).toEqual([
      { url: "https://example.com/sale", clicks: 3, unique_clickers: 2, human_clicks: 2, human_unique_clickers: 1 },
      { url: "https://example.com/faq", clicks: 2, unique_clickers: 1, human_clicks: 1, human_unique_clickers: 1 },
    ]);
  });

  it("counts opens and clicks per device, OS and client, with proxies and bots as their own classes", async () => {
    const { workspace, key, campaignId } = await berlinCampaign();
    const res = await api(paths(workspace.id, campaignId).devices, { token: key });
    expect(res.json.data).toEqual([
      { event_type: "click", traffic_class: "bot", device_type: "unknown", os: "unknown", email_client: "unknown", count: 2 },
      { event_type: "click", traffic_class: "human", device_type: "mobile", os: "iOS", email_client: "Apple Mail", count: 2 },
      { event_type: "open", traffic_class: "human", device_type: "desktop", os: "Windows", email_client: "Outlook", count: 2 },
      { event_type: "open", traffic_class: "human", device_type: "mobile", os: "iOS", email_client: "Apple Mail", count: 2 },
      { event_type: "click", traffic_class: "human", device_type: "desktop", os: "macOS", email_client: "Apple Mail", count: 1 },
      { event_type: "open", traffic_class: "human", device_type: "desktop", os: "macOS", email_client: "Apple Mail", count: 1 },
      {
        event_type: "open",
        traffic_class: "proxy",
        device_type: "unknown",
        os: "unknown",
        email_client: "Apple Mail Privacy Protection",
        count: 1,
      },
    ]);
  });
});

describe("overview", () => {
  it("totals the campaigns started in the period, with rates and the most opened campaigns first", async () => {
    const { workspace, key, campaignId } = await berlinCampaign();
    const second = await campaignWithRecipients(workspace.id, 2, "2026-10-10T08:00:00.000Z");
    const raw = rawEvents(workspace.id, second.campaignId);
    await raw.hit(second.recipients[0]!.id, "open", "2026-10-10T09:00:00.000Z");
    await campaignWithRecipients(workspace.id, 1, "2026-09-30T23:59:59.000Z");

    const res = await api(paths(workspace.id, campaignId).overview, { token: key });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      campaigns: 2,
      sent: 6,
      failed: 2,
      unknown: 2,
      delivered: 3,
      opens: { total: 7, human: 6, proxy: 1, bot: 0 },
      unique_opens: { total: 4, human: 4 },
      unique_clicks: { total: 2, human: 2 },
      // Opens are rated over the first campaign's deliveries plus the second one's sends (it reports no deliveries).
      rates: { delivery: 0.5, open: { total: 0.8, human: 0.8 } },
    });
    expect(res.json.top_campaigns.map((c: any) => [c.campaign_id, c.unique_opens.human])).toEqual([
      [campaignId, 3],
      [second.campaignId, 1],
    ]);
  });

  it("needs from and to, in order", async () => {
    const { workspace, key } = await createWorkspace();
    const base = `/workspaces/${workspace.id}/email-marketing/overview`;
    const missing = await api(base, { token: key });
    expect(missing.status).toBe(422);
    expect(missing.json.errors.map((e: any) => e.path).sort()).toEqual(["from", "to"]);
    const backwards = await api(`${base}?from=2026-11-01T00:00:00Z&to=2026-10-01T00:00:00Z`, { token: key });
    expect(backwards.json.errors.map((e: any) => e.path)).toEqual(["to"]);
  });
});

describe("subscriber activity", () => {
  it("pages one person's sends, opens, clicks, complaint and unsubscribe, newest first", async () => {
    const { workspace, key, recipients } = await berlinCampaign();
    const person = recipients[2]!;
    const base = `/workspaces/${workspace.id}/email-marketing/subscribers/${person.subscriberId}/activity`;
    const first = await api(`${base}?limit=3`, { token: key });
    expect(first.status).toBe(200);
    const second = await api(`${base}?limit=3&cursor=${first.json.next_cursor}`, { token: key });
    expect(second.json.next_cursor).toBeNull();
    const items = [...first.json.data, ...second.json.data];
    // The complaint and the unsubscribe came at the same moment: either may come first.
    expect(new Set(items.slice(0, 2).map((i: any) => i.type))).toEqual(new Set(["unsubscribed", "complained"]));
    expect(items.map((i: any) => i.occurred_at)).toEqual([
      "2026-10-25T23:15:00.000Z",
      "2026-10-25T23:15:00.000Z",
      "2026-10-25T23:10:00.000Z",
      "2026-10-25T22:30:00.000Z",
      "2026-10-24T20:00:00.000Z",
    ]);
    expect(items.slice(2).map((i: any) => i.type)).toEqual(["opened", "opened", "sent"]);
    expect(items.every((i: any) => i.recipient_id === person.id)).toBe(true);
    expect(items.find((i: any) => i.type === "opened").traffic_class).toBe("human");
  });

  it("is a 404 for another workspace's subscriber and a 422 for a forged cursor", async () => {
    const { recipients } = await berlinCampaign();
    const other = await createWorkspace();
    const foreign = await api(`/workspaces/${other.workspace.id}/email-marketing/subscribers/${recipients[0]!.subscriberId}/activity`, {
      token: other.key,
    });
    expect(foreign.status).toBe(404);
    const { workspace, key, recipients: own } = await berlinCampaign();
    const forged = await api(`/workspaces/${workspace.id}/email-marketing/subscribers/${own[0]!.subscriberId}/activity?cursor=bm9waXBl`, {
      token: key,
    });
    expect(forged.status).toBe(422);
    expect(forged.json.errors.map((e: any) => e.path)).toEqual(["cursor"]);
  });
});
