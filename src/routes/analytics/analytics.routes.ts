import { jsonContent, problemResponses } from "../../lib/openapi";
import { PaginationQuerySchema, pageSchema } from "../../lib/pagination";
import { workspaceRoute } from "../route-kinds";
import { WorkspaceParamsSchema } from "../workspaces/workspaces.schemas";
import {
  ActivitySchema,
  CampaignParamsSchema,
  CampaignStatsSchema,
  DevicesSchema,
  LinksSchema,
  OverviewQuerySchema,
  OverviewSchema,
  SubscriberParamsSchema,
  TimelineQuerySchema,
  TimelineSchema,
} from "./analytics.schemas";

const tags = ["Analytics"];
const basePath = "/workspaces/{ws}/email-marketing";
const campaignPath = `${basePath}/campaigns/{campaign_id}`;
const HUMAN_TEXT =
  "Opens by mail-provider image proxies (Apple Mail Privacy Protection, Gmail, Yahoo, Outlook) and clicks by link scanners are counted, and shown apart: `human` is people only.";

export const getCampaignStats = workspaceRoute({
  method: "get",
  path: `${campaignPath}/stats`,
  operationId: "getCampaignStats",
  summary: "A campaign's counts and rates",
  description: `Sends come from the campaign's counters; deliveries, bounces, complaints and unsubscribes from provider events; opens and clicks from Flarecast's own tracking. ${HUMAN_TEXT}`,
  tags,
  request: { params: CampaignParamsSchema },
  responses: { 200: jsonContent(CampaignStatsSchema, "The campaign's stats") },
});

export const getCampaignTimeline = workspaceRoute({
  method: "get",
  path: `${campaignPath}/timeline`,
  operationId: "getCampaignTimeline",
  summary: "A campaign's events per hour or per day",
  description: "Buckets that have events, oldest first. Days are the workspace timezone's; hours are UTC hours shown at their local start.",
  tags,
  request: { params: CampaignParamsSchema, query: TimelineQuerySchema },
  responses: { 200: jsonContent(TimelineSchema, "The timeline"), ...problemResponses("validation_failed") },
});

export const getCampaignLinks = workspaceRoute({
  method: "get",
  path: `${campaignPath}/links`,
  operationId: "getCampaignLinks",
  summary: "Clicks per link of a campaign",
  description: `Most clicked first. ${HUMAN_TEXT}`,
  tags,
  request: { params: CampaignParamsSchema },
  responses: { 200: jsonContent(LinksSchema, "One entry per URL") },
});

export const getCampaignDevices = workspaceRoute({
  method: "get",
  path: `${campaignPath}/devices`,
  operationId: "getCampaignDevices",
  summary: "Opens and clicks per device type, OS and mail client",
  description: "Proxies and bots are their own traffic classes; what the user agent does not tell is `unknown`.",
  tags,
  request: { params: CampaignParamsSchema },
  responses: { 200: jsonContent(DevicesSchema, "One entry per event type, traffic class, device, OS and client") },
});

export const getOverview = workspaceRoute({
  method: "get",
  path: `${basePath}/overview`,
  operationId: "getEmailMarketingOverview",
  summary: "Totals, rates and top campaigns of a period",
  description:
    "Covers the campaigns started in [from, to), each with all of its events; top campaigns are the five with the most human unique opens.",
  tags,
  request: { params: WorkspaceParamsSchema, query: OverviewQuerySchema },
  responses: { 200: jsonContent(OverviewSchema, "The overview"), ...problemResponses("validation_failed") },
});

export const getSubscriberActivity = workspaceRoute({
  method: "get",
  path: `${basePath}/subscribers/{subscriber_id}/activity`,
  operationId: "getSubscriberActivity",
  summary: "One person's sends, opens, clicks, bounces, complaints and unsubscribes",
  description: "Newest first. Opens and clicks older than the raw-event retention are no longer listed; sends always are.",
  tags,
  request: { params: SubscriberParamsSchema, query: PaginationQuerySchema },
  responses: {
    200: jsonContent(pageSchema(ActivitySchema).openapi("SubscriberActivityPage"), "A page of activity"),
    ...problemResponses("validation_failed"),
  },
});
