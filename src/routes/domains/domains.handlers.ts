import type { RouteHandler } from "@hono/zod-openapi";
import { dohResolver } from "../../domain/dns/doh-resolver";
import * as domains from "../../domain/domains/sending-domains";
import { refreshTargetHealth } from "../../domain/reputation/target-health";
import type { AppBindings } from "../../lib/create-app";
import type * as routes from "./domains.routes";
import { toDomainResponse } from "./domains.schemas";

export const listDomains: RouteHandler<typeof routes.listDomains, AppBindings> = async (c) => {
  const { limit, cursor } = c.req.valid("query");
  const page = await domains.listDomains(c.var.db, c.var.workspace.id, limit, cursor);
  return c.json({ data: page.data.map(toDomainResponse), next_cursor: page.next_cursor }, 200);
};

export const createDomain: RouteHandler<typeof routes.createDomain, AppBindings> = async (c) => {
  const domain = await domains.createDomain(c.var.db, c.var.config.ENCRYPTION_KEY, c.var.workspace.id, c.req.valid("json"), new Date());
  return c.json(toDomainResponse(domain), 201);
};

export const getDomain: RouteHandler<typeof routes.getDomain, AppBindings> = async (c) =>
  c.json(toDomainResponse(await domains.readDomain(c.var.db, c.var.workspace.id, c.req.valid("param").domain_id)), 200);

export const updateDomain: RouteHandler<typeof routes.updateDomain, AppBindings> = async (c) =>
  c.json(
    toDomainResponse(await domains.updateDomain(c.var.db, c.var.workspace.id, c.req.valid("param").domain_id, c.req.valid("json"))),
    200,
  );

export const deleteDomain: RouteHandler<typeof routes.deleteDomain, AppBindings> = async (c) => {
  await domains.deleteDomain(c.var.db, c.var.workspace.id, c.req.valid("param").domain_id);
  return c.body(null, 204);
};

export const verifyDomain: RouteHandler<typeof routes.verifyDomain, AppBindings> = async (c) => {
  const resolver = dohResolver(c.var.config.DNS_RESOLVER_URL);
  const { domain, verification } = await domains.verifySendingDomain(
    c.var.db,
    resolver,
    c.var.workspace.id,
    c.req.valid("param").domain_id,
    new Date(),
  );
  return c.json({ ...verification, domain: toDomainResponse(domain) }, 200);
};

export const getDomainHealth: RouteHandler<typeof routes.getDomainHealth, AppBindings> = async (c) => {
  const domain = await domains.getDomain(c.var.db, c.var.workspace.id, c.req.valid("param").domain_id);
  return c.json(await refreshTargetHealth(c.var.db, c.var.workspace.id, { target_type: "domain", target_id: domain.id }, new Date()), 200);
};

export const liftMarketingPause: RouteHandler<typeof routes.liftMarketingPause, AppBindings> = async (c) =>
  c.json(toDomainResponse(await domains.liftMarketingPause(c.var.db, c.var.workspace.id, c.req.valid("param").domain_id)), 200);
