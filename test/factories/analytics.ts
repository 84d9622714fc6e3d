import { env } from "cloudflare:workers";
import { expect } from "vitest";
import { createDb } from "../../src/db/client";
import { campaignRecipients, emailCampaigns, providerEventLogs, subscribers, trackingEvents } from "../../src/db/schema";
import { readWatermark } from "../../src/domain/analytics/rollup";
import { newId } from "../../src/lib/ids";
import { api, createWorkspace } from "./api";

export const db = createDb(env.DB);

type Class = "human" | "proxy" | "bot";

/**
 * Writes raw rows as the event consumer would, first_* flags included: the first open (or click) of a recipient,
 * the first by a person, the first click of a recipient on a URL and the first by a person.
 */
export function rawEvents(workspaceId: string, campaignId: string) {
  const seen = new Set<string>();
  const firstTime = (key: string) => {
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  };
  return {
    async hit(
      recipientId: string,
      event_type: "open" | "click",
      occurred_at: string,
      options: { traffic_class?: Class; url?: string; device?: [string, string, string] | null; received_at?: string } = {},
    ) {
      const traffic_class = options.traffic_class ?? "human";
      const url = options.url ?? null;
      const human = traffic_class === "human";
      const [device_type, os, email_client] =
        options.device === null ? [null, null, null] : (options.device ?? ["desktop", "macOS", "Apple Mail"]);
      await db.insert(trackingEvents).values({
        id: newId("tev"),
        workspace_id: workspaceId,
        campaign_id: campaignId,
        recipient_id: recipientId,
        event_type,
        url,
        link_index: url ? 0 : null,
        device_type,
        os,
        email_client,
        traffic_class,
        first_of_kind: firstTime(`${recipientId}:${event_type}`),
        first_human_of_kind: human && firstTime(`${recipientId}:${event_type}:human`),
        first_for_link: url !== null && firstTime(`${recipientId}:${url}`),
        first_human_for_link: url !== null && human && firstTime(`${recipientId}:${url}:human`),
        occurred_at,
        // As the consumer writes them: a moment after they occurred, unless a test says it arrived later.
        received_at: options.received_at ?? occurred_at,
      });
    },
    async provider(
      recipientId: string,
      event_type: "delivery" | "bounce" | "complaint" | "unsubscribe",
      occurred_at: string,
      received_at = occurred_at,
    ) {
      await db.insert(providerEventLogs).values({
        id: newId("pev"),
        workspace_id: workspaceId,
        provider_id: "prv_test",
        provider_type: "sendgrid",
        provider_event_id: newId("sg"),
        event_type,
        bounce_type: event_type === "bounce" ? "hard_bounce" : null,
        campaign_id: campaignId,
        recipient_id: recipientId,
        reason: event_type === "bounce" ? "550 5.1.1 user unknown" : null,
        payload: {},
        occurred_at,
        received_at,
      });
    },
  };
}

export async function campaignWithRecipients(workspaceId: string, count: number, started_at = "2026-10-24T20:00:00.000Z") {
  const campaignId = newId("cmp");
  await db.insert(emailCampaigns).values({
    id: campaignId,
    workspace_id: workspaceId,
    name: `Campaign ${campaignId.slice(-4)}`,
    status: "sent",
    total_recipients: count + 2,
    sent_count: count,
    failed_count: 1,
    unknown_count: 1,
    started_at,
  });
  const recipients: { id: string; subscriberId: string }[] = [];
  for (let i = 0; i < count; i += 1) {
    const subscriberId = newId("sub");
    const email = `p${i}-${campaignId}@example.com`;
    await db.insert(subscribers).values({ id: subscriberId, workspace_id: workspaceId, email, preference_token: "t" });
    const id = newId("rcp");
    await db.insert(campaignRecipients).values({
      id,
      workspace_id: workspaceId,
      campaign_id: campaignId,
      subscriber_id: subscriberId,
      email,
      status: "sent",
      sent_at: started_at,
    });
    recipients.push({ id, subscriberId });
  }
  return { campaignId, recipients };
}

/**
 * A campaign in a Berlin workspace around the end of summer time (2026-10-25 01:00 UTC, 03:00 CEST becomes 02:00
 * CET) and across local midnights, with proxies, bots, repeated opens and provider events.
 */
export async function berlinCampaign() {
  const { workspace, key } = await createWorkspace({ timezone: "Europe/Berlin" });
  const { campaignId, recipients } = await campaignWithRecipients(workspace.id, 4);
  const [a, b, c, d] = recipients.map((r) => r.id) as [string, string, string, string];
  const raw = rawEvents(workspace.id, campaignId);
  for (const r of [a, b, c]) await raw.provider(r, "delivery", "2026-10-24T20:01:00.000Z");
  await raw.provider(d, "bounce", "2026-10-24T20:02:00.000Z");
  // a: Apple's proxy fetches the pixel first, then the person opens twice (Oct 24 and Oct 25 local) and clicks.
  await raw.hit(a, "open", "2026-10-24T20:03:00.000Z", {
    traffic_class: "proxy",
    device: ["unknown", "unknown", "Apple Mail Privacy Protection"],
  });
  await raw.hit(a, "open", "2026-10-24T21:30:00.000Z", { device: ["mobile", "iOS", "Apple Mail"] });
  await raw.hit(a, "open", "2026-10-24T22:30:00.000Z", { device: ["mobile", "iOS", "Apple Mail"] });
  await raw.hit(a, "click", "2026-10-24T22:31:00.000Z", { url: "https://example.com/sale", device: ["mobile", "iOS", "Apple Mail"] });
  await raw.hit(a, "click", "2026-10-25T00:40:00.000Z", { url: "https://example.com/sale", device: ["mobile", "iOS", "Apple Mail"] });
  // b: a scanner clicks both links within seconds; the person opens and clicks one after the clocks went back.
  await raw.hit(b, "click", "2026-10-24T20:01:05.000Z", { traffic_class: "bot", url: "https://example.com/sale", device: null });
  await raw.hit(b, "click", "2026-10-24T20:01:05.000Z", { traffic_class: "bot", url: "https://example.com/faq", device: null });
  await raw.hit(b, "open", "2026-10-25T01:30:00.000Z");
  await raw.hit(b, "click", "2026-10-25T01:31:00.000Z", { url: "https://example.com/faq" });
  // c: opens late on Oct 25 local (CET) and just after the next local midnight, then complains and unsubscribes.
  await raw.hit(c, "open", "2026-10-25T22:30:00.000Z", { device: ["desktop", "Windows", "Outlook"] });
  await raw.hit(c, "open", "2026-10-25T23:10:00.000Z", { device: ["desktop", "Windows", "Outlook"] });
  await raw.provider(c, "complaint", "2026-10-25T23:15:00.000Z");
  await raw.provider(c, "unsubscribe", "2026-10-25T23:15:00.000Z");
  return { workspace, key, campaignId, recipients, raw };
}

export const paths = (ws: string, campaignId: string) => ({
  stats: `/workspaces/${ws}/email-marketing/campaigns/${campaignId}/stats`,
  day: `/workspaces/${ws}/email-marketing/campaigns/${campaignId}/timeline?interval=day`,
  hour: `/workspaces/${ws}/email-marketing/campaigns/${campaignId}/timeline?interval=hour`,
  links: `/workspaces/${ws}/email-marketing/campaigns/${campaignId}/links`,
  devices: `/workspaces/${ws}/email-marketing/campaigns/${campaignId}/devices`,
  overview: `/workspaces/${ws}/email-marketing/overview?from=2026-10-01T00:00:00Z&to=2026-11-01T00:00:00Z`,
});

/** Every analytics answer of the campaign, to compare before and after rollups. */
export async function everything(ws: string, campaignId: string, key: string) {
  const answers: Record<string, unknown> = {};
  for (const [name, path] of Object.entries(paths(ws, campaignId))) {
    const res = await api(path, { token: key });
    expect(res.status, `${name}: ${res.text}`).toBe(200);
    answers[name] = res.json;
  }
  return answers;
}

/** The same figures counted straight from the raw rows, without the first_* flags or the rollups. */
export async function countedFromRaw(campaignId: string) {
  const one = async (query: string) => (await env.DB.prepare(query).bind(campaignId).first<{ n: number }>())?.n;
  return {
    opens: await one("select count(*) as n from tracking_events where campaign_id = ? and event_type = 'open'"),
    unique_opens: await one("select count(distinct recipient_id) as n from tracking_events where campaign_id = ? and event_type = 'open'"),
    human_unique_opens: await one(
      "select count(distinct recipient_id) as n from tracking_events where campaign_id = ? and event_type = 'open' and traffic_class = 'human'",
    ),
    clicks: await one("select count(*) as n from tracking_events where campaign_id = ? and event_type = 'click'"),
    unique_clicks: await one(
      "select count(distinct recipient_id) as n from tracking_events where campaign_id = ? and event_type = 'click'",
    ),
    human_unique_clicks: await one(
      "select count(distinct recipient_id) as n from tracking_events where campaign_id = ? and event_type = 'click' and traffic_class = 'human'",
    ),
    delivered: await one("select count(*) as n from provider_event_logs where campaign_id = ? and event_type = 'delivery'"),
  };
}

export const rollupTables = async () => ({
  hourly: (await env.DB.prepare("select * from campaign_hourly_stats order by campaign_id, hour, event_type, traffic_class").all()).results,
  links: (await env.DB.prepare("select * from campaign_link_stats order by campaign_id, url").all()).results,
  devices: (
    await env.DB.prepare(
      "select * from campaign_device_stats order by campaign_id, event_type, traffic_class, device_type, os, email_client",
    ).all()
  ).results,
  watermark: await readWatermark(db),
});
