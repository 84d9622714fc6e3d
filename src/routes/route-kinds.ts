import { createRoute, type RouteConfig } from "@hono/zod-openapi";
import { requireAdminToken, requireWorkspaceKey } from "../middleware/auth";
import { problemResponses } from "../lib/openapi";

/** An operator route: admin token required, and documented as such. */
export function adminRoute<const R extends RouteConfig>(route: R) {
  return createRoute({
    ...route,
    middleware: [requireAdminToken] as const,
    security: [{ adminToken: [] }],
    responses: { ...problemResponses("unauthorized"), ...route.responses },
  });
}

/** A route under /workspaces/{ws}: a key of that workspace required; another workspace's key gets 404. */
export function workspaceRoute<const R extends RouteConfig>(route: R) {
  return createRoute({
    ...route,
    middleware: [requireWorkspaceKey] as const,
    security: [{ workspaceKey: [] }],
    responses: { ...problemResponses("unauthorized", "not_found"), ...route.responses },
  });
}
