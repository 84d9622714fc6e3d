import { createRoute, type RouteConfig } from "@hono/zod-openapi";
import { problemResponses } from "../lib/openapi";
import { requireAdminToken, requireWorkspaceKey } from "../middleware/auth";

/** A route with a JSON body can also be refused by the body gate in front of it (src/middleware/json-body.ts). */
const bodyProblems = (route: RouteConfig) =>
  route.request?.body?.content && "application/json" in route.request.body.content
    ? problemResponses("bad_request", "content_too_large", "unsupported_media_type", "validation_failed")
    : {};

/** An operator route: admin token required, and documented as such. */
export function adminRoute<const R extends RouteConfig>(route: R) {
  return createRoute({
    ...route,
    middleware: [requireAdminToken] as const,
    security: [{ adminToken: [] }],
    responses: { ...problemResponses("unauthorized"), ...bodyProblems(route), ...route.responses },
  });
}

/** A route under /workspaces/{ws}: a key of that workspace required; another workspace's key gets 404. */
export function workspaceRoute<const R extends RouteConfig>(route: R) {
  return createRoute({
    ...route,
    middleware: [requireWorkspaceKey] as const,
    security: [{ workspaceKey: [] }],
    responses: { ...problemResponses("unauthorized", "not_found"), ...bodyProblems(route), ...route.responses },
  });
}
