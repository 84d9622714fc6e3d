import type { RouteHandler } from "@hono/zod-openapi";
import * as flows from "../../domain/onboarding/flows";
import type { AppBindings } from "../../lib/create-app";
import type * as routes from "./onboarding-flows.routes";
import { toFlowResponse, toProgressResponse } from "./onboarding-flows.schemas";

export const listOnboardingFlows: RouteHandler<typeof routes.listOnboardingFlows, AppBindings> = async (c) => {
  const { limit, cursor } = c.req.valid("query");
  const page = await flows.listFlows(c.var.db, c.var.workspace.id, limit, cursor);
  return c.json({ data: page.data.map(toFlowResponse), next_cursor: page.next_cursor }, 200);
};

export const createOnboardingFlow: RouteHandler<typeof routes.createOnboardingFlow, AppBindings> = async (c) =>
  c.json(toFlowResponse(await flows.createFlow(c.var.db, c.var.workspace.id, c.req.valid("json"), new Date())), 201);

export const getOnboardingFlow: RouteHandler<typeof routes.getOnboardingFlow, AppBindings> = async (c) =>
  c.json(toFlowResponse(await flows.getFlow(c.var.db, c.var.workspace.id, c.req.valid("param").flow_id)), 200);

export const updateOnboardingFlow: RouteHandler<typeof routes.updateOnboardingFlow, AppBindings> = async (c) => {
  const updated = await flows.updateFlow(c.var.db, c.var.workspace.id, c.req.valid("param").flow_id, c.req.valid("json"), new Date());
  return c.json(toFlowResponse(updated), 200);
};

export const deleteOnboardingFlow: RouteHandler<typeof routes.deleteOnboardingFlow, AppBindings> = async (c) => {
  await flows.deleteFlow({ db: c.var.db, env: c.env }, c.var.workspace.id, c.req.valid("param").flow_id, new Date());
  return c.body(null, 204);
};

export const getOnboardingFlowProgress: RouteHandler<typeof routes.getOnboardingFlowProgress, AppBindings> = async (c) =>
  c.json(toProgressResponse(await flows.flowProgress(c.var.db, c.var.workspace.id, c.req.valid("param").flow_id)), 200);
