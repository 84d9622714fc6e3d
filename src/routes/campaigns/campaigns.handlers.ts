import type { RouteHandler } from "@hono/zod-openapi";
import * as campaigns from "../../domain/campaigns/campaigns";
import * as lifecycle from "../../domain/campaigns/lifecycle";
import * as recipients from "../../domain/campaigns/recipients";
import * as runs from "../../domain/campaigns/runs";
import type { AppBindings } from "../../lib/create-app";
import type * as routes from "./campaigns.routes";
import { toCampaignResponse, toRecipientResponse, toRunResponse } from "./campaigns.schemas";

export const listCampaigns: RouteHandler<typeof routes.listCampaigns, AppBindings> = async (c) => {
  const { limit, cursor, ...filter } = c.req.valid("query");
  const page = await campaigns.listCampaigns(c.var.db, c.var.workspace.id, filter, limit, cursor);
  return c.json({ data: page.data.map(toCampaignResponse), next_cursor: page.next_cursor }, 200);
};

export const createCampaign: RouteHandler<typeof routes.createCampaign, AppBindings> = async (c) =>
  c.json(toCampaignResponse(await campaigns.createCampaign(c.var.db, c.var.workspace.id, c.req.valid("json"), new Date())), 201);

export const getCampaign: RouteHandler<typeof routes.getCampaign, AppBindings> = async (c) =>
  c.json(toCampaignResponse(await campaigns.getCampaign(c.var.db, c.var.workspace.id, c.req.valid("param").campaign_id)), 200);

export const updateCampaign: RouteHandler<typeof routes.updateCampaign, AppBindings> = async (c) => {
  const updated = await campaigns.updateCampaign(
    c.var.db,
    c.var.workspace.id,
    c.req.valid("param").campaign_id,
    c.req.valid("json"),
    new Date(),
  );
  return c.json(toCampaignResponse(updated), 200);
};

export const deleteCampaign: RouteHandler<typeof routes.deleteCampaign, AppBindings> = async (c) => {
  await campaigns.deleteCampaign(c.var.db, c.var.workspace.id, c.req.valid("param").campaign_id);
  return c.body(null, 204);
};

export const scheduleCampaign: RouteHandler<typeof routes.scheduleCampaign, AppBindings> = async (c) => {
  const scheduled = await lifecycle.scheduleCampaign(
    c.var.db,
    c.var.workspace.id,
    c.req.valid("param").campaign_id,
    c.req.valid("json") ?? {},
    new Date(),
  );
  return c.json(toCampaignResponse(scheduled), 200);
};

export const sendCampaign: RouteHandler<typeof routes.sendCampaign, AppBindings> = async (c) =>
  c.json(
    toCampaignResponse(await lifecycle.sendCampaign(c.var.db, c.env, c.var.workspace.id, c.req.valid("param").campaign_id, new Date())),
    200,
  );

export const pauseCampaign: RouteHandler<typeof routes.pauseCampaign, AppBindings> = async (c) =>
  c.json(
    toCampaignResponse(await lifecycle.pauseCampaign(c.var.db, c.env, c.var.workspace.id, c.req.valid("param").campaign_id, new Date())),
    200,
  );

export const resumeCampaign: RouteHandler<typeof routes.resumeCampaign, AppBindings> = async (c) =>
  c.json(
    toCampaignResponse(await lifecycle.resumeCampaign(c.var.db, c.env, c.var.workspace.id, c.req.valid("param").campaign_id, new Date())),
    200,
  );

export const cancelCampaign: RouteHandler<typeof routes.cancelCampaign, AppBindings> = async (c) =>
  c.json(
    toCampaignResponse(await lifecycle.cancelCampaign(c.var.db, c.env, c.var.workspace.id, c.req.valid("param").campaign_id, new Date())),
    200,
  );

export const listRecipients: RouteHandler<typeof routes.listRecipients, AppBindings> = async (c) => {
  const { limit, cursor, ...filter } = c.req.valid("query");
  const page = await recipients.listRecipients(c.var.db, c.var.workspace.id, c.req.valid("param").campaign_id, filter, limit, cursor);
  return c.json({ data: page.data.map(toRecipientResponse), next_cursor: page.next_cursor }, 200);
};

export const getRecipient: RouteHandler<typeof routes.getRecipient, AppBindings> = async (c) => {
  const { campaign_id, recipient_id } = c.req.valid("param");
  return c.json(toRecipientResponse(await recipients.getRecipient(c.var.db, c.var.workspace.id, campaign_id, recipient_id)), 200);
};

export const listRuns: RouteHandler<typeof routes.listRuns, AppBindings> = async (c) => {
  const { limit, cursor } = c.req.valid("query");
  const page = await runs.listRuns(c.var.db, c.var.workspace.id, c.req.valid("param").campaign_id, limit, cursor);
  return c.json({ data: page.data.map(toRunResponse), next_cursor: page.next_cursor }, 200);
};

export const getRun: RouteHandler<typeof routes.getRun, AppBindings> = async (c) => {
  const { campaign_id, run_id } = c.req.valid("param");
  return c.json(toRunResponse(await runs.getRun(c.var.db, c.var.workspace.id, campaign_id, run_id)), 200);
};
