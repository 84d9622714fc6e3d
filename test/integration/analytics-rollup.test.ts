import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { deleteExpiredRawEvents, rollUpCampaignEvents } from "../../src/domain/analytics/rollup";
import { aggregateEmailAnalytics } from "../../src/jobs/aggregate-email-analytics.job";
import { jobs } from "../../src/jobs/registry";
import { berlinCampaign, campaignWithRecipients, db, everything, paths, rawEvents, rollupTables } from "../factories/analytics";
import { api, createWorkspace } from "../factories/api";

// Storage is shared by the tests of a file and so is the watermark: each test's events lie after the previous test's.
describe("aggregate_email_analytics", () => {
  it("is registered hourly", () => {
    expect(jobs.find((job) => job.name === "aggregate_email_analytics")?.cron).toBe("0 * * * *");
  });

  it("leaves every answer unchanged: before, halfway, after, run twice, and after the raw rows are deleted", async () => {
    const { workspace, key, campaignId } = await berlinCampaign();
    const before = await everything(workspace.id, campaignId, key);

    // Halfway: what was received before 2026-10-25T01:00 is rolled up, the rest is still raw.
    expect(await rollUpCampaignEvents(db, new Date("2026-10-25T01:10:00.000Z"))).toBe("2026-10-25T01:00:00.000Z");
    const rolled = (await rollupTables()).hourly as { count: number }[];
    expect(rolled.reduce((sum, row) => sum + row.count, 0)).toBeGreaterThan(0);
    expect(await everything(workspace.id, campaignId, key)).toEqual(before);

    const ctx = { env, db, now: new Date("2026-11-01T00:00:00.000Z") };
    const summary = await aggregateEmailAnalytics.run(ctx);
    // A day of arrivals at most per run, from the first one left to roll up (received 2026-10-25T01:30).
    expect(summary).toMatchObject({ rolled_up_to: "2026-10-26T01:00:00.000Z", deleted_tracking_events: 0, deleted_provider_event_logs: 0 });
    const afterOnce = await rollupTables();
    expect(await everything(workspace.id, campaignId, key)).toEqual(before);

    // Nothing is left: the watermark moves to the settled hour and the rollups stay as they are.
    expect(await aggregateEmailAnalytics.run(ctx)).toMatchObject({ rolled_up_to: "2026-10-31T23:00:00.000Z" });
    expect(await rollupTables()).toEqual({ ...afterOnce, watermark: "2026-10-31T23:00:00.000Z" });
    const afterTwice = await rollupTables();
    await aggregateEmailAnalytics.run(ctx);
    expect(await rollupTables()).toEqual(afterTwice);
    expect(await everything(workspace.id, campaignId, key)).toEqual(before);

    // 90 days on, the raw rows are gone and the rollups alone give the same answers.
    const rawRows = async (table: string) => (await env.DB.prepare(`select count(*) as n from ${table}`).first<{ n: number }>())?.n;
    const raw = { tracking: await rawRows("tracking_events"), provider: await rawRows("provider_event_logs") };
    expect(raw).toEqual({ tracking: 11, provider: 6 });
    const later = await aggregateEmailAnalytics.run({ env, db, now: new Date("2027-02-01T00:30:00.000Z") });
    expect(later).toMatchObject({
      retention_cutoff: "2026-11-03T00:30:00.000Z",
      deleted_tracking_events: 11,
      deleted_provider_event_logs: 6,
    });
    expect((await env.DB.prepare("select count(*) as n from tracking_events where campaign_id = ?").bind(campaignId).first())?.n).toBe(0);
    expect(await everything(workspace.id, campaignId, key)).toEqual(before);
  });

  it("counts a person who opens after a proxy fetched the pixel among human unique opens, and rates over sent while no delivery is reported", async () => {
    const { workspace, key } = await createWorkspace();
    const { campaignId, recipients } = await campaignWithRecipients(workspace.id, 2, "2027-03-01T20:00:00.000Z");
    const raw = rawEvents(workspace.id, campaignId);
    await raw.hit(recipients[0]!.id, "open", "2027-03-01T20:05:00.000Z", { traffic_class: "proxy" });
    await raw.hit(recipients[0]!.id, "open", "2027-03-01T21:05:00.000Z");
    await raw.hit(recipients[1]!.id, "open", "2027-03-01T21:06:00.000Z", { traffic_class: "proxy" });

    for (const moment of ["before", "after"]) {
      const res = await api(paths(workspace.id, campaignId).stats, { token: key });
      expect(res.json.unique_opens, moment).toEqual({ total: 2, human: 1 });
      expect(res.json.rates.open, moment).toEqual({ total: 1, human: 0.5 });
      expect(res.json.rates.delivery, moment).toBe(0);
      await rollUpCampaignEvents(db, new Date("2027-03-02T00:00:00.000Z"));
    }
  });

  it("rolls up nothing from the hour that has not settled, and never deletes raw rows the rollups do not hold", async () => {
    const { workspace, key } = await createWorkspace();
    const { campaignId, recipients } = await campaignWithRecipients(workspace.id, 1, "2027-06-01T00:00:00.000Z");
    const raw = rawEvents(workspace.id, campaignId);
    await raw.hit(recipients[0]!.id, "open", "2027-06-01T10:59:59.000Z");
    await raw.hit(recipients[0]!.id, "open", "2027-06-01T11:30:00.000Z");

    await rollUpCampaignEvents(db, new Date("2027-06-01T12:00:00.000Z"));
    const hourly = (await env.DB.prepare("select hour, count from campaign_hourly_stats where campaign_id = ?").bind(campaignId).all())
      .results;
    expect(hourly).toEqual([{ hour: "2027-06-01T10:00:00.000Z", count: 1 }]);

    // A one-day retention a year later deletes only what lies before the watermark.
    const deleted = await deleteExpiredRawEvents(db, new Date("2028-06-01T00:00:00.000Z"), 1);
    expect(deleted.cutoff).toBe("2027-06-01T11:00:00.000Z");
    const left = (await env.DB.prepare("select occurred_at from tracking_events where campaign_id = ?").bind(campaignId).all()).results;
    expect(left).toEqual([{ occurred_at: "2027-06-01T11:30:00.000Z" }]);
    const stats = await api(`/workspaces/${workspace.id}/email-marketing/campaigns/${campaignId}/stats`, { token: key });
    expect(stats.json.opens.total).toBe(2);
  });

  it("deletes expired raw rows a bounded number at a time, the rest on later runs", async () => {
    const { workspace } = await createWorkspace();
    const { campaignId, recipients } = await campaignWithRecipients(workspace.id, 1, "2027-07-01T00:00:00.000Z");
    const raw = rawEvents(workspace.id, campaignId);
    for (let minute = 10; minute < 15; minute += 1) await raw.hit(recipients[0]!.id, "open", `2027-07-01T00:${minute}:00.000Z`);
    // The settle test's last event starts a day's cap before these: two runs reach them.
    await rollUpCampaignEvents(db, new Date("2027-07-01T02:00:00.000Z"));
    expect(await rollUpCampaignEvents(db, new Date("2027-07-01T02:00:00.000Z"))).toBe("2027-07-01T01:00:00.000Z");
    const now = new Date("2027-12-01T00:00:00.000Z");
    const chunks = { rows: 2, maxPerRun: 2 };

    // Earlier tests' rows are past the retention too.
    const total = (await env.DB.prepare("select count(*) as n from tracking_events").first<{ n: number }>())?.n ?? 0;
    expect(total).toBeGreaterThan(4);
    const perRun: number[] = [];
    for (let run = 0; run < total; run += 1) {
      const deleted = (await deleteExpiredRawEvents(db, now, 90, chunks)).tracking_events;
      perRun.push(deleted);
      if (deleted === 0) break;
    }
    expect(perRun[0]).toBe(4);
    expect(perRun.every((deleted) => deleted <= 4)).toBe(true);
    expect(perRun.reduce((sum, deleted) => sum + deleted, 0)).toBe(total);
    expect(perRun.at(-1)).toBe(0);
    const stats = await api(`/workspaces/${workspace.id}/email-marketing/campaigns/${campaignId}/stats`, { token: workspace.api_key.key });
    expect(stats.json.opens.total).toBe(5);
  });

  it("catches a backlog up a day of events per run, skipping empty days, with the same stats all along", async () => {
    const { workspace, key } = await createWorkspace();
    const { campaignId, recipients } = await campaignWithRecipients(workspace.id, 1, "2028-01-01T00:00:00.000Z");
    const raw = rawEvents(workspace.id, campaignId);
    for (const at of ["2028-01-01T05:10:00.000Z", "2028-01-02T12:00:00.000Z", "2028-01-05T18:00:00.000Z"])
      await raw.hit(recipients[0]!.id, "open", at);
    const statsPath = `/workspaces/${workspace.id}/email-marketing/campaigns/${campaignId}/stats`;
    const now = new Date("2028-01-10T00:00:00.000Z");
    const watermarks: string[] = [];
    for (let run = 0; run < 4; run += 1) {
      watermarks.push(await rollUpCampaignEvents(db, now));
      expect((await api(statsPath, { token: key })).json.opens.total).toBe(3);
    }
    expect(watermarks).toEqual([
      "2028-01-02T05:00:00.000Z",
      "2028-01-03T12:00:00.000Z",
      "2028-01-06T18:00:00.000Z",
      "2028-01-09T23:00:00.000Z",
    ]);
  });

  it("counts an event that arrives hours after its hour was rolled up, at once and then in the hour it occurred", async () => {
    const { workspace, key } = await createWorkspace();
    const { campaignId, recipients } = await campaignWithRecipients(workspace.id, 2, "2028-02-01T00:00:00.000Z");
    const raw = rawEvents(workspace.id, campaignId);
    await raw.hit(recipients[0]!.id, "open", "2028-02-01T08:10:00.000Z");
    await raw.provider(recipients[0]!.id, "delivery", "2028-02-01T08:01:00.000Z");
    expect(await rollUpCampaignEvents(db, new Date("2028-02-01T12:00:00.000Z"))).toBe("2028-02-01T11:00:00.000Z");

    // A provider that retried its webhook for hours, and a pixel that sat in a backlog: both occurred long before
    // the watermark and reach D1 after it.
    await raw.provider(recipients[1]!.id, "delivery", "2028-02-01T08:02:00.000Z", "2028-02-01T11:30:00.000Z");
    await raw.hit(recipients[1]!.id, "open", "2028-02-01T08:20:00.000Z", { received_at: "2028-02-01T11:40:00.000Z" });
    const statsPath = `/workspaces/${workspace.id}/email-marketing/campaigns/${campaignId}/stats`;
    const timelinePath = `/workspaces/${workspace.id}/email-marketing/campaigns/${campaignId}/timeline?interval=hour`;
    const counted = async () => {
      const stats = (await api(statsPath, { token: key })).json;
      return { delivered: stats.delivered, opens: stats.opens.total, unique_opens: stats.unique_opens.total };
    };
    expect(await counted()).toEqual({ delivered: 2, opens: 2, unique_opens: 2 });
    const timeline = (await api(timelinePath, { token: key })).json;

    expect(await rollUpCampaignEvents(db, new Date("2028-02-01T13:00:00.000Z"))).toBe("2028-02-01T12:00:00.000Z");
    expect(await counted()).toEqual({ delivered: 2, opens: 2, unique_opens: 2 });
    expect((await api(timelinePath, { token: key })).json).toEqual(timeline);
    const hourly = await env.DB.prepare(
      "select event_type, traffic_class, sum(count) as n from campaign_hourly_stats where campaign_id = ? and hour = '2028-02-01T08:00:00.000Z' group by event_type, traffic_class order by event_type",
    )
      .bind(campaignId)
      .all();
    expect(hourly.results).toEqual([
      { event_type: "delivery", traffic_class: "provider", n: 2 },
      { event_type: "open", traffic_class: "human", n: 2 },
    ]);
  });
});
