import type { RouteHandler } from "@hono/zod-openapi";
import { subscriberActivity } from "../../domain/analytics/activity";
import { campaignDevices, campaignLinks, campaignStats, campaignTimeline, workspaceOverview } from "../../domain/analytics/stats";
import type { AppBindings } from "../../lib/create-app";
import type * as routes from "./analytics.routes";

export const getCampaignStats: RouteHandler<typeof routes.getCampaignStats, AppBindings> = async (c) =>
  c.json(await campaignStats(c.var.db, c.var.workspace.id, c.req.valid("param").campaign_id), 200);

export const getCampaignTimeline: RouteHandler<typeof routes.getCampaignTimeline, AppBindings> = async (c) => {
  const { interval, from, to } = c.req.valid("query");
  const { workspace } = c.var;
  const data = await campaignTimeline(c.var.db, workspace, c.req.valid("param").campaign_id, interval, { from, to });
  return c.json({ interval, timezone: workspace.timezone, data }, 200);
};

export const getCampaignLinks: RouteHandler<typeof routes.getCampaignLinks, AppBindings> = async (c) =>
  c.json({ data: await campaignLinks(c.var.db, c.var.workspace.id, c.req.valid("param").campaign_id) }, 200);

export const getCampaignDevices: RouteHandler<typeof routes.getCampaignDevices, AppBindings> = async (c) =>
  c.json({ data: await campaignDevices(c.var.db, c.var.workspace.id, c.req.valid("param").campaign_id) }, 200);

export const getOverview: RouteHandler<typeof routes.getOverview, AppBindings> = async (c) => {
  const { from, to } = c.req.valid("query");
  const range = { from: new Date(from).toISOString(), to: new Date(to).toISOString() };
  return c.json(await workspaceOverview(c.var.db, c.var.workspace.id, range), 200);
};

export const getSubscriberActivity: RouteHandler<typeof routes.getSubscriberActivity, AppBindings> = async (c) => {
  const { limit, cursor } = c.req.valid("query");
  return c.json(await subscriberActivity(c.var.db, c.var.workspace.id, c.req.valid("param").subscriber_id, limit, cursor), 200);
};
