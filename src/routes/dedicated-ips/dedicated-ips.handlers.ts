import type { RouteHandler } from "@hono/zod-openapi";
import * as ips from "../../domain/dedicated-ips/dedicated-ips";
import { dohResolver } from "../../domain/dns/doh-resolver";
import type { AppBindings } from "../../lib/create-app";
import type * as routes from "./dedicated-ips.routes";
import { toDedicatedIpResponse } from "./dedicated-ips.schemas";

export const listDedicatedIps: RouteHandler<typeof routes.listDedicatedIps, AppBindings> = async (c) => {
  const { limit, cursor } = c.req.valid("query");
  const page = await ips.listDedicatedIps(c.var.db, c.var.workspace.id, limit, cursor);
  return c.json({ data: page.data.map(toDedicatedIpResponse), next_cursor: page.next_cursor }, 200);
};

export const createDedicatedIp: RouteHandler<typeof routes.createDedicatedIp, AppBindings> = async (c) =>
  c.json(toDedicatedIpResponse(await ips.createDedicatedIp(c.var.db, c.var.workspace.id, c.req.valid("json"))), 201);

export const getDedicatedIp: RouteHandler<typeof routes.getDedicatedIp, AppBindings> = async (c) =>
  c.json(toDedicatedIpResponse(await ips.getDedicatedIp(c.var.db, c.var.workspace.id, c.req.valid("param").ip_id)), 200);

export const updateDedicatedIp: RouteHandler<typeof routes.updateDedicatedIp, AppBindings> = async (c) =>
  c.json(
    toDedicatedIpResponse(await ips.updateDedicatedIp(c.var.db, c.var.workspace.id, c.req.valid("param").ip_id, c.req.valid("json"))),
    200,
  );

export const deleteDedicatedIp: RouteHandler<typeof routes.deleteDedicatedIp, AppBindings> = async (c) => {
  await ips.deleteDedicatedIp(c.var.db, c.var.workspace.id, c.req.valid("param").ip_id);
  return c.body(null, 204);
};

export const checkDedicatedIp: RouteHandler<typeof routes.checkDedicatedIp, AppBindings> = async (c) => {
  const resolver = dohResolver(c.var.config.DNS_RESOLVER_URL);
  const { ip, ptr } = await ips.checkDedicatedIp(
    c.var.db,
    resolver,
    c.var.config.DNSBL_ZONES,
    c.var.workspace.id,
    c.req.valid("param").ip_id,
    new Date(),
  );
  const response = toDedicatedIpResponse(ip);
  const zonesWhere = (status: string) => response.blacklist_status.filter((b) => b.status === status).map((b) => b.zone);
  return c.json(
    {
      ptr,
      listed_on: zonesWhere("listed"),
      unknown_on: zonesWhere("unknown"),
      blocklist_summary: response.blocklist_summary,
      ip: response,
    },
    200,
  );
};
