import type { RouteHandler } from "@hono/zod-openapi";
import type { Context } from "hono";
import { accepts } from "hono/accepts";
import { createMiddleware } from "hono/factory";
import type { JSX } from "hono/jsx/jsx-runtime";
import { ConflictError } from "../../domain/errors";
import * as preferences from "../../domain/preferences/preferences";
import type { AppBindings } from "../../lib/create-app";
import { ApiError } from "../../lib/errors";
import { InvalidLinkPage, type Notice, PreferencePage } from "./preference-page";
import type * as routes from "./preferences.routes";
import { asList, toPreferencesResponse, type UpdatePreferencesForm } from "./preferences.schemas";

type Ctx = Context<AppBindings>;
type Format = "html" | "json" | "text";

/**
 * Every response of the preference center: never cached or indexed, never leaks the token in a Referer, never
 * framed, and pages run no script (CSP), so an injected string could not run either.
 */
export const preferenceHeaders = createMiddleware<AppBindings>(async (c, next) => {
  await next();
  c.header("cache-control", "no-store");
  c.header("referrer-policy", "no-referrer");
  c.header("x-robots-tag", "noindex, nofollow");
  c.header("x-content-type-options", "nosniff");
  if (c.res.headers.get("content-type")?.startsWith("text/html")) {
    c.header(
      "content-security-policy",
      "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    );
  }
});

/** HTML or JSON by the Accept header; without a preference for either (none, or only a wildcard), the fallback. */
function negotiate<F extends Format>(c: Ctx, fallback: F): "html" | "json" | F {
  const chosen = accepts(c, { header: "Accept", supports: ["text/html", "application/json"], default: "" });
  return chosen === "text/html" ? "html" : chosen === "application/json" ? "json" : fallback;
}

const sentJson = (c: Ctx) => /^application\/([\w.-]+\+)?json/i.test(c.req.header("content-type") ?? "");

async function page(c: Ctx, node: JSX.Element, status: 200 | 404 | 409 = 200) {
  return c.html(`<!DOCTYPE html>${await node.toString()}`, status);
}

/** Made up, altered, foreign key, deleted subscriber, rotated preference token: all get exactly this. */
const INVALID_LINK = JSON.stringify(new ApiError("not_found", "This preferences link is not valid").toProblem());

function invalidLink(c: Ctx, format: Format) {
  if (format === "html") return page(c, <InvalidLinkPage />, 404);
  return c.body(INVALID_LINK, 404, { "content-type": "application/problem+json" });
}

async function respond(c: Ctx, format: Format, context: preferences.PreferenceContext, notice?: Notice, status: 200 | 409 = 200) {
  const state = await preferences.preferenceState(c.var.db, context);
  if (format === "html") return page(c, <PreferencePage state={state} token={c.req.param("token") ?? ""} notice={notice} />, status);
  return c.json(toPreferencesResponse(state), 200);
}

const open = (c: Ctx, token: string) => preferences.openPreferences(c.var.db, c.env, token);

export const getPreferences: RouteHandler<typeof routes.getPreferences, AppBindings> = async (c) => {
  const format = negotiate(c, "html");
  const context = await open(c, c.req.valid("param").token);
  if (!context) return invalidLink(c, format);
  return respond(c, format, context);
};

export const updatePreferences: RouteHandler<typeof routes.updatePreferences, AppBindings> = async (c) => {
  const json = sentJson(c);
  const format = negotiate(c, json ? "json" : "html");
  const context = await open(c, c.req.valid("param").token);
  if (!context) return invalidLink(c, format);

  let changes: preferences.PreferenceChanges;
  if (json) {
    changes = { ...c.req.valid("json"), unknownCategories: "reject" };
  } else {
    // A form sends only the boxes that are ticked; `shown` lists every box it had, so the others are opt-outs.
    const form = c.req.valid("form") as UpdatePreferencesForm;
    const checked = new Set(asList(form.category));
    const categories = new Map(asList(form.shown).map((slug) => [slug, checked.has(slug)]));
    for (const slug of checked) categories.set(slug, true);
    changes = { categories: Object.fromEntries(categories), frequency: form.frequency, unknownCategories: "ignore" };
  }
  const saved = await preferences.savePreferences(c.var.db, context, changes);
  return respond(c, format, saved, { tone: "success", text: "Your preferences are saved." });
};

export const unsubscribeAll: RouteHandler<typeof routes.unsubscribeAll, AppBindings> = async (c) => {
  const oneClick = c.req.valid("form")["List-Unsubscribe"] === "One-Click";
  const format = negotiate(c, oneClick ? "text" : sentJson(c) ? "json" : "html");
  const context = await open(c, c.req.valid("param").token);
  if (!context) return invalidLink(c, format);
  const { context: after } = await preferences.unsubscribeAll(c.var.db, context, oneClick ? "link" : "preference_center");
  if (format === "text") return c.text(`You have been unsubscribed from all email from ${after.workspace.name}.`, 200);
  return respond(c, format, after);
};

export const resubscribe: RouteHandler<typeof routes.resubscribe, AppBindings> = async (c) => {
  const format = negotiate(c, "html");
  const context = await open(c, c.req.valid("param").token);
  if (!context) return invalidLink(c, format);
  try {
    const { context: after, changed } = await preferences.resubscribe(c.var.db, context);
    return respond(c, format, after, changed ? { tone: "success", text: "Welcome back: you are subscribed again." } : undefined);
  } catch (err) {
    if (!(err instanceof ConflictError) || format !== "html") throw err;
    return respond(c, format, context, { tone: "error", text: "This address cannot be resubscribed from this page." }, 409);
  }
};
