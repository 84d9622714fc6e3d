import type { RouteHandler } from "@hono/zod-openapi";
import * as identities from "../../domain/domains/identities";
import type { AppBindings } from "../../lib/create-app";
import type * as routes from "./identities.routes";
import { toIdentityResponse } from "./identities.schemas";

export const listIdentities: RouteHandler<typeof routes.listIdentities, AppBindings> = async (c) => {
  const { limit, cursor, domain_id } = c.req.valid("query");
  const page = await identities.listIdentities(c.var.db, c.var.workspace.id, { domain_id }, limit, cursor);
  return c.json({ data: page.data.map(toIdentityResponse), next_cursor: page.next_cursor }, 200);
};

export const createIdentity: RouteHandler<typeof routes.createIdentity, AppBindings> = async (c) =>
  c.json(toIdentityResponse(await identities.createIdentity(c.var.db, c.var.workspace.id, c.req.valid("json"))), 201);

export const getIdentity: RouteHandler<typeof routes.getIdentity, AppBindings> = async (c) =>
  c.json(toIdentityResponse(await identities.getIdentity(c.var.db, c.var.workspace.id, c.req.valid("param").identity_id)), 200);

export const updateIdentity: RouteHandler<typeof routes.updateIdentity, AppBindings> = async (c) =>
  c.json(
    toIdentityResponse(
      await identities.updateIdentity(c.var.db, c.var.workspace.id, c.req.valid("param").identity_id, c.req.valid("json")),
    ),
    200,
  );

export const deleteIdentity: RouteHandler<typeof routes.deleteIdentity, AppBindings> = async (c) => {
  await identities.deleteIdentity(c.var.db, c.var.workspace.id, c.req.valid("param").identity_id);
  return c.body(null, 204);
};
