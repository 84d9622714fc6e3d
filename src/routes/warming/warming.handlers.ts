import type { RouteHandler } from "@hono/zod-openapi";
import { getDedicatedIp } from "../../domain/dedicated-ips/dedicated-ips";
import { getDomain } from "../../domain/domains/sending-domains";
import {
  createSchedule as createWarmingSchedule,
  deleteSchedule as deleteWarmingSchedule,
  listSchedules as listWarmingSchedules,
  updateSchedule as updateWarmingSchedule,
} from "../../domain/warming/schedules";
import { pauseWarmingByOperator, resumeWarming, startWarming, type WarmingTarget, warmingProgress } from "../../domain/warming/warming";
import type { AppBindings } from "../../lib/create-app";
import type * as routes from "./warming.routes";

export const listSchedules: RouteHandler<typeof routes.listSchedules, AppBindings> = async (c) =>
  c.json({ data: await listWarmingSchedules(c.var.db, c.var.workspace.id) }, 200);

export const createSchedule: RouteHandler<typeof routes.createSchedule, AppBindings> = async (c) =>
  c.json(await createWarmingSchedule(c.var.db, c.var.workspace.id, c.req.valid("json"), new Date()), 201);

export const updateSchedule: RouteHandler<typeof routes.updateSchedule, AppBindings> = async (c) =>
  c.json(await updateWarmingSchedule(c.var.db, c.var.workspace.id, c.req.valid("param").schedule_id, c.req.valid("json"), new Date()), 200);

export const deleteSchedule: RouteHandler<typeof routes.deleteSchedule, AppBindings> = async (c) => {
  await deleteWarmingSchedule(c.var.db, c.var.workspace.id, c.req.valid("param").schedule_id);
  return c.body(null, 204);
};

/** The target of a warming route, after checking it belongs to the workspace (404 otherwise). */
async function domainTarget(c: { var: AppBindings["Variables"] }, domainId: string): Promise<WarmingTarget> {
  const domain = await getDomain(c.var.db, c.var.workspace.id, domainId);
  return { workspace_id: domain.workspace_id, type: "domain", id: domain.id };
}

async function ipTarget(c: { var: AppBindings["Variables"] }, ipId: string): Promise<WarmingTarget> {
  const ip = await getDedicatedIp(c.var.db, c.var.workspace.id, ipId);
  return { workspace_id: ip.workspace_id, type: "ip", id: ip.id };
}

export const startDomainWarming: RouteHandler<typeof routes.domainWarming.start, AppBindings> = async (c) => {
  const target = await domainTarget(c, c.req.valid("param").domain_id);
  return c.json(await startWarming(c.var.db, c.env, target, c.req.valid("json").schedule, new Date()), 200);
};

export const domainWarmingProgress: RouteHandler<typeof routes.domainWarming.progress, AppBindings> = async (c) =>
  c.json(await warmingProgress(c.var.db, c.env, await domainTarget(c, c.req.valid("param").domain_id), new Date()), 200);

export const resumeDomainWarming: RouteHandler<typeof routes.domainWarming.resume, AppBindings> = async (c) =>
  c.json(await resumeWarming(c.var.db, c.env, await domainTarget(c, c.req.valid("param").domain_id), new Date()), 200);

export const startIpWarming: RouteHandler<typeof routes.ipWarming.start, AppBindings> = async (c) => {
  const target = await ipTarget(c, c.req.valid("param").ip_id);
  return c.json(await startWarming(c.var.db, c.env, target, c.req.valid("json").schedule, new Date()), 200);
};

export const ipWarmingProgress: RouteHandler<typeof routes.ipWarming.progress, AppBindings> = async (c) =>
  c.json(await warmingProgress(c.var.db, c.env, await ipTarget(c, c.req.valid("param").ip_id), new Date()), 200);

export const resumeIpWarming: RouteHandler<typeof routes.ipWarming.resume, AppBindings> = async (c) =>
  c.json(await resumeWarming(c.var.db, c.env, await ipTarget(c, c.req.valid("param").ip_id), new Date()), 200);

export const pauseDomainWarming: RouteHandler<typeof routes.domainWarming.pause, AppBindings> = async (c) => {
  const target = await domainTarget(c, c.req.valid("param").domain_id);
  return c.json(await pauseWarmingByOperator(c.var.db, c.env, target, c.req.valid("json")?.reason, new Date()), 200);
};

export const pauseIpWarming: RouteHandler<typeof routes.ipWarming.pause, AppBindings> = async (c) => {
  const target = await ipTarget(c, c.req.valid("param").ip_id);
  return c.json(await pauseWarmingByOperator(c.var.db, c.env, target, c.req.valid("json")?.reason, new Date()), 200);
};
