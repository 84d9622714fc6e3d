import { createMiddleware } from "hono/factory";
import { notFound } from "../domain/errors";
import { authenticateApiKey, lastUsedIsStale, touchApiKey } from "../domain/tenancy/api-keys";
import type { AppBindings } from "../lib/create-app";
import { secretsEqual } from "../lib/crypto";
import { unauthorized } from "../lib/errors";

function bearerToken(header: string | undefined): string | undefined {
  const match = header?.match(/^Bearer\s+(\S+)\s*$/i);
  return match?.[1];
}

/** Operator endpoints: the ADMIN_TOKEN secret, compared in constant time. */
export const requireAdminToken = createMiddleware<AppBindings>(async (c, next) => {
  const token = bearerToken(c.req.header("authorization"));
  if (!token) throw unauthorized("This endpoint needs the admin token: Authorization: Bearer <ADMIN_TOKEN>");
  if (!(await secretsEqual(token, c.var.config.ADMIN_TOKEN))) throw unauthorized("The admin token is not valid");
  await next();
});

/**
 * Workspace endpoints: a live API key of the workspace named in the path (by id or slug). A valid key of
 * another workspace gets 404, exactly as if the workspace did not exist, so ids cannot be probed.
 */
export const requireWorkspaceKey = createMiddleware<AppBindings>(async (c, next) => {
  const token = bearerToken(c.req.header("authorization"));
  if (!token) throw unauthorized("This endpoint needs a workspace API key: Authorization: Bearer <key>");
  const auth = await authenticateApiKey(c.var.db, token);
  if (!auth) throw unauthorized("The API key is not valid or has been revoked");
  const ws = c.req.param("ws");
  if (ws !== auth.workspace.id && ws !== auth.workspace.slug) throw notFound("Workspace");
  c.set("workspace", auth.workspace);
  c.set("apiKey", auth.apiKey);
  const now = new Date();
  if (lastUsedIsStale(auth.apiKey, now)) c.executionCtx.waitUntil(touchApiKey(c.var.db, auth.apiKey.id, now));
  await next();
});
