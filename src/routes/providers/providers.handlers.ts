import type { RouteHandler } from "@hono/zod-openapi";
import * as capturedMessages from "../../domain/provider-accounts/captured-messages";
import * as providers from "../../domain/provider-accounts/providers";
import type { AppBindings } from "../../lib/create-app";
import type * as routes from "./providers.routes";
import { toCapturedMessage, toCapturedMessageSummary, toProviderResponse } from "./providers.schemas";

const secrets = (c: { var: AppBindings["Variables"] }) => ({ encryptionKey: c.var.config.ENCRYPTION_KEY });

export const listProviders: RouteHandler<typeof routes.listProviders, AppBindings> = async (c) => {
  const { limit, cursor } = c.req.valid("query");
  const page = await providers.listProviders(c.var.db, secrets(c), c.var.workspace.id, limit, cursor);
  return c.json({ data: page.data.map((p) => toProviderResponse(p, c.var.config.PUBLIC_BASE_URL)), next_cursor: page.next_cursor }, 200);
};

export const createProvider: RouteHandler<typeof routes.createProvider, AppBindings> = async (c) => {
  const created = await providers.createProvider(c.var.db, c.env, secrets(c), c.var.workspace.id, c.req.valid("json"));
  return c.json(toProviderResponse(created, c.var.config.PUBLIC_BASE_URL), 201);
};

export const getProvider: RouteHandler<typeof routes.getProvider, AppBindings> = async (c) => {
  const provider = await providers.getProvider(c.var.db, secrets(c), c.var.workspace.id, c.req.valid("param").provider_id);
  return c.json(toProviderResponse(provider, c.var.config.PUBLIC_BASE_URL), 200);
};

export const updateProvider: RouteHandler<typeof routes.updateProvider, AppBindings> = async (c) => {
  const updated = await providers.updateProvider(
    c.var.db,
    c.env,
    secrets(c),
    c.var.workspace.id,
    c.req.valid("param").provider_id,
    c.req.valid("json"),
  );
  return c.json(toProviderResponse(updated, c.var.config.PUBLIC_BASE_URL), 200);
};

export const deleteProvider: RouteHandler<typeof routes.deleteProvider, AppBindings> = async (c) => {
  await providers.deleteProvider(c.var.db, c.var.workspace.id, c.req.valid("param").provider_id);
  return c.body(null, 204);
};

export const testProvider: RouteHandler<typeof routes.testProvider, AppBindings> = async (c) => {
  const now = new Date();
  const { result, provider } = await providers.testProvider(
    c.var.db,
    secrets(c),
    c.var.workspace.id,
    c.req.valid("param").provider_id,
    now,
  );
  return c.json(
    {
      ok: result.ok,
      detail: result.detail,
      checked_at: now.toISOString(),
      provider: toProviderResponse(provider, c.var.config.PUBLIC_BASE_URL),
    },
    200,
  );
};

export const listCapturedMessages: RouteHandler<typeof routes.listCapturedMessages, AppBindings> = async (c) => {
  const { limit, cursor, to, campaign_id } = c.req.valid("query");
  const page = await capturedMessages.listCapturedMessages(
    c.var.db,
    c.var.workspace.id,
    c.req.valid("param").provider_id,
    { to, campaign_id },
    limit,
    cursor,
  );
  return c.json({ data: page.data.map(toCapturedMessageSummary), next_cursor: page.next_cursor }, 200);
};

export const getCapturedMessage: RouteHandler<typeof routes.getCapturedMessage, AppBindings> = async (c) => {
  const { provider_id, message_id } = c.req.valid("param");
  const message = await capturedMessages.getCapturedMessage(c.var.db, c.var.workspace.id, provider_id, message_id);
  return c.json(toCapturedMessage(message), 200);
};
