import { z } from "@hono/zod-openapi";
import { activityTypes } from "../../domain/analytics/activity";
import { orNull } from "../../lib/openapi";
import { CampaignParamsSchema } from "../campaigns/campaigns.schemas";
import { SubscriberParamsSchema } from "../subscribers/subscribers.schemas";

export { CampaignParamsSchema, SubscriberParamsSchema };

const instant = (name: string, description: string) =>
  z.iso.datetime({ offset: true }).openapi({ param: { name, in: "query" }, description, example: "2026-12-01T00:00:00Z" });

const ordered = (value: { from?: string; to?: string }, ctx: z.RefinementCtx) => {
  if (value.from !== undefined && value.to !== undefined && Date.parse(value.from) >= Date.parse(value.to)) {
    ctx.addIssue({ code: "custom", path: ["to"], message: "must be after from" });
  }
};

export const TimelineQuerySchema = z
  .object({
    interval: z
      .enum(["hour", "day"])
      .default("day")
      .openapi({ param: { name: "interval", in: "query" }, description: "Bucket size; days are the workspace timezone's" }),
    from: instant("from", "Keep the hours starting at or after this instant (rounded down to the hour)").optional(),
    to: instant("to", "Keep the hours starting before this instant (rounded down to the hour)").optional(),
  })
  .superRefine(ordered);

export const OverviewQuerySchema = z
  .object({
    from: instant("from", "Campaigns started at or after this instant"),
    to: instant("to", "Campaigns started before this instant"),
  })
  .superRefine(ordered);

const classCounts = z
  .object({ total: z.number().int(), human: z.number().int(), proxy: z.number().int(), bot: z.number().int() })
  .openapi("TrafficClassCounts", { description: "All hits, and by who made them: people, mail-provider image proxies, machines" });
const humanAndTotal = z.object({ total: z.number().int(), human: z.number().int() }).openapi("HumanAndTotalCount");
const rate = orNull(z.number()).openapi({ description: "A fraction (0.25 = 25 %); null when its denominator is zero" });
const humanAndTotalRate = z.object({ total: rate, human: rate }).openapi("HumanAndTotalRate");

const eventTotals = {
  delivered: z.number().int(),
  bounced: z.number().int(),
  complained: z.number().int(),
  unsubscribed: z.number().int(),
  opens: classCounts,
  unique_opens: humanAndTotal,
  clicks: classCounts,
  unique_clicks: humanAndTotal,
};

const sends = {
  recipients: z.number().int(),
  sent: z.number().int(),
  failed: z.number().int(),
  unknown: z.number().int().openapi({ description: "Recipients whose provider answer was lost (maybe sent)" }),
};

const RatesSchema = z
  .object({
    delivery: rate.openapi({ description: "delivered / sent" }),
    open: humanAndTotalRate.openapi({ description: "unique opens / delivered (sent while no delivery is reported)" }),
    click: humanAndTotalRate.openapi({ description: "unique clicks / delivered (sent while no delivery is reported)" }),
    click_to_open: humanAndTotalRate.openapi({ description: "unique clicks / unique opens" }),
    bounce: rate.openapi({ description: "bounces / sent" }),
    complaint: rate.openapi({ description: "complaints / delivered (sent while no delivery is reported)" }),
    unsubscribe: rate.openapi({ description: "provider-reported unsubscribes / delivered (sent while no delivery is reported)" }),
  })
  .openapi("CampaignRates");

export const CampaignStatsSchema = z
  .object({ campaign_id: z.string(), ...sends, ...eventTotals, rates: RatesSchema })
  .openapi("CampaignStats");

export const TimelineSchema = z
  .object({
    interval: z.enum(["hour", "day"]),
    timezone: z.string(),
    data: z.array(
      z
        .object({
          start: z.string().openapi({ description: "The bucket's start, UTC" }),
          local_start: z.string().openapi({ description: "The bucket's start on the workspace's wall clock", example: "2026-03-29T00:00" }),
          ...eventTotals,
        })
        .openapi("CampaignTimelineBucket"),
    ),
  })
  .openapi("CampaignTimeline");

export const LinksSchema = z
  .object({
    data: z.array(
      z
        .object({
          url: z.string(),
          clicks: z.number().int(),
          unique_clickers: z.number().int(),
          human_clicks: z.number().int(),
          human_unique_clickers: z.number().int(),
        })
        .openapi("CampaignLinkStats"),
    ),
  })
  .openapi("CampaignLinks");

export const DevicesSchema = z
  .object({
    data: z.array(
      z
        .object({
          event_type: z.enum(["open", "click"]),
          traffic_class: z.enum(["human", "proxy", "bot"]),
          device_type: z.string().openapi({ example: "mobile" }),
          os: z.string().openapi({ example: "iOS" }),
          email_client: z.string().openapi({ example: "Apple Mail" }),
          count: z.number().int(),
        })
        .openapi("CampaignDeviceStats"),
    ),
  })
  .openapi("CampaignDevices");

export const OverviewSchema = z
  .object({
    from: z.string(),
    to: z.string(),
    campaigns: z.number().int().openapi({ description: "Campaigns started in the period" }),
    ...sends,
    ...eventTotals,
    rates: RatesSchema,
    top_campaigns: z.array(
      z
        .object({ campaign_id: z.string(), name: z.string(), started_at: orNull(z.string()), ...sends, ...eventTotals, rates: RatesSchema })
        .openapi("OverviewCampaign"),
    ),
  })
  .openapi("EmailMarketingOverview");

export const ActivitySchema = z
  .object({
    id: z.string(),
    type: z.enum(activityTypes),
    campaign_id: orNull(z.string()),
    recipient_id: z.string(),
    occurred_at: z.string(),
    url: orNull(z.string()),
    traffic_class: orNull(z.enum(["human", "proxy", "bot"])),
    bounce_type: orNull(z.string()),
    reason: orNull(z.string()),
  })
  .openapi("SubscriberActivity");
