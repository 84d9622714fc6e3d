import type { OpenAPIHono, RouteConfig } from "@hono/zod-openapi";
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { matchedRoutes } from "hono/route";
import type { AppBindings } from "../lib/create-app";
import { ApiError } from "../lib/errors";
import { MAX_BODY_BYTES, readBodyUpTo, readJsonBody } from "../lib/request-body";

interface BodyRule {
  mediaTypes: string[];
  required: boolean;
}

const essenceOf = (contentType: string) => contentType.split(";")[0].trim().toLowerCase();
const isJson = (essence: string) => /^application\/([\w.-]+\+)?json$/.test(essence);
const accepts = (rule: BodyRule, essence: string) =>
  rule.mediaTypes.some((declared) => (declared === "application/json" ? isJson(essence) : declared === essence));

/** "METHOD /path/:param" → what the route's OpenAPI definition says its body may be, for routes that take JSON. */
function bodyRules(app: OpenAPIHono<AppBindings>): Map<string, BodyRule> {
  const rules = new Map<string, BodyRule>();
  for (const definition of app.openAPIRegistry.definitions) {
    if (definition.type !== "route") continue;
    const route = definition.route as RouteConfig;
    const body = route.request?.body;
    const mediaTypes = Object.keys(body?.content ?? {}).map((type) => type.toLowerCase());
    if (!mediaTypes.includes("application/json")) continue;
    const path = route.path.replaceAll(/\{([^}]+)\}/g, ":$1");
    rules.set(`${route.method.toUpperCase()} ${path}`, { mediaTypes, required: body?.required === true });
  }
  return rules;
}

function ruleFor(c: Context, rules: Map<string, BodyRule>): BodyRule | undefined {
  for (const { method, path } of matchedRoutes(c)) {
    if (method === c.req.method) {
      const rule = rules.get(`${method} ${path}`);
      if (rule) return rule;
    }
  }
  return undefined;
}

const unsupported = (rule: BodyRule, sent: string | undefined) => {
  const message = `must be ${rule.mediaTypes.join(" or ")}${sent ? `, not ${sent}` : ""}`;
  return new ApiError("unsupported_media_type", `The body's Content-Type ${message}`, [
    { location: "header", path: "content-type", message },
  ]);
};

/**
 * The gate in front of every route whose OpenAPI body includes JSON, before authentication and validation: the
 * Content-Type must be one the route declares (415 otherwise, and for a required body sent without one, which the
 * validator would otherwise read as `{}`); a JSON body is read within MAX_BODY_BYTES (413), must parse (400), and
 * must not nest deeper than the schemas can safely walk nor carry a `__proto__` key (422). Other bodies of these
 * routes (the preference center's forms) are size-capped too; routes that take no JSON (CSV import) are left alone.
 */
export function jsonBodies(app: OpenAPIHono<AppBindings>) {
  let rules: Map<string, BodyRule> | undefined;
  return createMiddleware<AppBindings>(async (c, next) => {
    // Built on first use: the routes are registered after this middleware is.
    rules ??= bodyRules(app);
    const rule = ruleFor(c, rules);
    if (!rule) return next();

    const contentType = c.req.header("content-type");
    if (!contentType) {
      if (rule.required || (await readBodyUpTo(c.req.raw, MAX_BODY_BYTES)).byteLength > 0) throw unsupported(rule, undefined);
      // The empty body was read to be sure of it; what follows gets a request without one, as it was sent.
      c.req.raw = new Request(c.req.raw, { body: null });
      return next();
    }
    const essence = essenceOf(contentType);
    if (!accepts(rule, essence)) throw unsupported(rule, essence);
    const body = isJson(essence) ? await readJsonBody(c.req.raw) : await readBodyUpTo(c.req.raw, MAX_BODY_BYTES);
    // The validators read the body again; they get the bytes already read and checked.
    c.req.raw = new Request(c.req.raw, { body });
    return next();
  });
}
