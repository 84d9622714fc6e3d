import type { RouteHandler } from "@hono/zod-openapi";
import * as pools from "../../domain/pools/pools";
import { routeRecipient } from "../../domain/routing/route-loader";
import type { AppBindings } from "../../lib/create-app";
import type * as routes from "./pools.routes";
import { toPoolResponse } from "./pools.schemas";

export const listPools: RouteHandler<typeof routes.listPools, AppBindings> = async (c) => {
  const { limit, cursor } = c.req.valid("query");
  const page = await pools.listPools(c.var.db, c.var.workspace.id, limit, cursor);
  return c.json({ data: page.data.map(toPoolResponse), next_cursor: page.next_cursor }, 200);
};

export const createPool: RouteHandler<typeof routes.createPool, AppBindings> = async (c) =>
  c.json(toPoolResponse(await pools.createPool(c.var.db, c.var.workspace.id, c.req.valid("json"))), 201);

export const getPool: RouteHandler<typeof routes.getPool, AppBindings> = async (c) =>
  c.json(toPoolResponse(await pools.getPool(c.var.db, c.var.workspace.id, c.req.valid("param").pool_id)), 200);

export const updatePool: RouteHandler<typeof routes.updatePool, AppBindings> = async (c) =>
  c.json(toPoolResponse(await pools.updatePool(c.var.db, c.var.workspace.id, c.req.valid("param").pool_id, c.req.valid("json"))), 200);

export const deletePool: RouteHandler<typeof routes.deletePool, AppBindings> = async (c) => {
  await pools.deletePool(c.var.db, c.var.workspace.id, c.req.valid("param").pool_id);
  return c.body(null, 204);
};

export const routeThroughPool: RouteHandler<typeof routes.routeThroughPool, AppBindings> = async (c) => {
  const decision = await routeRecipient(c.var.db, c.env, c.var.workspace.id, c.req.valid("param").pool_id, c.req.valid("json"), new Date());
  return c.json(
    decision.ok
      ? { ...decision, ip_id: decision.ip_id ?? null }
      : {
          ok: false,
          domain_id: null,
          identity_id: null,
          provider_id: null,
          ip_id: null,
          isp: null,
          reasons: decision.reasons,
          fallbacks: [],
        },
    200,
  );
};
