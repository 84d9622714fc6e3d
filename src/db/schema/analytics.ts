import { integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { eventTypes, trafficClasses } from "./enums";
import { workspaceId } from "./workspaces";

/**
 * Raw tracking and provider events rolled up by hour (aggregate_email_analytics). Stats read these for every
 * hour before the watermark and the raw events after it. `traffic_class` is "human", "proxy" or "bot" for opens
 * and clicks, and "provider" for what providers report. `unique_count` sums the events flagged first of their
 * kind, so uniques add up across hours; `human_unique_count` sums the first human ones, which a human hit can be
 * without being the first of its kind (a proxy fetched the pixel before the person opened).
 */
export const campaignHourlyStats = sqliteTable(
  "campaign_hourly_stats",
  {
    workspace_id: workspaceId(),
    campaign_id: text().notNull(),
    /** The hour's start, UTC, as an ISO timestamp ("2026-12-05T14:00:00.000Z"). */
    hour: text().notNull(),
    event_type: text({ enum: eventTypes }).notNull(),
    traffic_class: text({ enum: [...trafficClasses, "provider"] as const }).notNull(),
    count: integer().notNull().default(0),
    unique_count: integer().notNull().default(0),
    human_unique_count: integer().notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.campaign_id, t.hour, t.event_type, t.traffic_class] })],
);

/** Clicks per link, rolled up with the hourly stats: total and unique clickers, human and all. */
export const campaignLinkStats = sqliteTable(
  "campaign_link_stats",
  {
    workspace_id: workspaceId(),
    campaign_id: text().notNull(),
    url: text().notNull(),
    clicks: integer().notNull().default(0),
    unique_clickers: integer().notNull().default(0),
    human_clicks: integer().notNull().default(0),
    human_unique_clickers: integer().notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.campaign_id, t.url] })],
);

/** Opens and clicks per device type, OS and mail client (proxies and bots as their own class), rolled up. */
export const campaignDeviceStats = sqliteTable(
  "campaign_device_stats",
  {
    workspace_id: workspaceId(),
    campaign_id: text().notNull(),
    event_type: text({ enum: eventTypes }).notNull(),
    traffic_class: text({ enum: trafficClasses }).notNull(),
    device_type: text().notNull(),
    os: text().notNull(),
    email_client: text().notNull(),
    count: integer().notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.campaign_id, t.event_type, t.traffic_class, t.device_type, t.os, t.email_client] })],
);

/** How far aggregate_email_analytics has rolled raw events up: everything before `rolled_up_to` is in the rollups. */
export const analyticsWatermarks = sqliteTable("analytics_watermarks", {
  name: text().primaryKey(),
  rolled_up_to: text().notNull(),
  updated_at: text().notNull(),
});
