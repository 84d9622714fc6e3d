import type { RouteHandler } from "@hono/zod-openapi";
import * as apiKeys from "../../domain/tenancy/api-keys";
import type { AppBindings } from "../../lib/create-app";
import type * as routes from "./api-keys.routes";
import { toApiKeyResponse } from "./api-keys.schemas";

export const createApiKey: RouteHandler<typeof routes.createApiKey, AppBindings> = async (c) => {
  const { record, key } = await apiKeys.issueApiKey(c.var.db, c.var.workspace.id, c.req.valid("json").name);
  return c.json({ ...toApiKeyResponse(record), key }, 201);
};

export const listApiKeys: RouteHandler<typeof routes.listApiKeys, AppBindings> = async (c) => {
  const { limit, cursor } = c.req.valid("query");
  const page = await apiKeys.listApiKeys(c.var.db, c.var.workspace.id, limit, cursor);
  return c.json({ data: page.data.map(toApiKeyResponse), next_cursor: page.next_cursor }, 200);
};

export const revokeApiKey: RouteHandler<typeof routes.revokeApiKey, AppBindings> = async (c) => {
  const revoked = await apiKeys.revokeApiKey(c.var.db, c.var.workspace.id, c.req.valid("param").key_id, new Date());
  return c.json(toApiKeyResponse(revoked), 200);
};
