import { createMiddleware } from "hono/factory";
import { requestId } from "hono/request-id";
import { createDb } from "./db/client";
import { readConfig } from "./env";
import { type AppBindings, createRouter } from "./lib/create-app";
import { onError, onNotFound } from "./lib/error-handler";
import { securitySchemes } from "./lib/openapi";
import { jsonBodies } from "./middleware/json-body";
import { analyticsRouter } from "./routes/analytics";
import { apiKeysRouter } from "./routes/api-keys";
import { audienceRouter } from "./routes/audience";
import { automationEventsRouter } from "./routes/automation-events";
import { automationRulesRouter } from "./routes/automation-rules";
import { campaignsRouter } from "./routes/campaigns";
import { categoriesRouter } from "./routes/categories";
import { dedicatedIpsRouter } from "./routes/dedicated-ips";
import { docsRouter } from "./routes/docs";
import { domainsRouter } from "./routes/domains";
import { healthRouter } from "./routes/health";
import { identitiesRouter } from "./routes/identities";
import { importsRouter } from "./routes/imports";
import { jobsRouter } from "./routes/jobs";
import { listsRouter } from "./routes/lists";
import { onboardingRouter } from "./routes/onboarding";
import { onboardingFlowsRouter } from "./routes/onboarding-flows";
import { poolsRouter } from "./routes/pools";
import { preferencesRouter } from "./routes/preferences";
import { providerWebhooksRouter } from "./routes/provider-webhooks";
import { providersRouter } from "./routes/providers";
import { subscribersRouter } from "./routes/subscribers";
import { suppressionsRouter } from "./routes/suppressions";
import { templatesRouter } from "./routes/templates";
import { trackingRouter } from "./routes/tracking";
import { visualBuilderRouter } from "./routes/visual-builder";
import { warmingRouter } from "./routes/warming";
import { webhookEndpointsRouter } from "./routes/webhook-endpoints";
import { workspacesRouter } from "./routes/workspaces";

export const OPENAPI_INFO = {
  title: "Flarecast API",
  version: "0.1.0",
  description:
    "Email marketing on Cloudflare's edge. Errors are RFC 9457 `application/problem+json`; lists are cursor pages " +
    "(`?limit=&cursor=` → `{data, next_cursor}`); JSON is snake_case and times are RFC 3339 UTC.",
  license: { name: "MIT", identifier: "MIT" },
} as const;

/** The server is relative: whichever origin serves /openapi.json is the API it describes. */
export const OPENAPI_DOCUMENT = {
  openapi: "3.1.0",
  info: OPENAPI_INFO,
  servers: [{ url: "/", description: "The deployment serving this document" }],
};

const bindRequestContext = createMiddleware<AppBindings>(async (c, next) => {
  c.set("config", readConfig(c.env));
  c.set("db", createDb(c.env.DB));
  await next();
});

export function createApp() {
  const app = createRouter();
  // Ahead of the middleware, which it needs none of (no key, no body, no database): the open pixel is by far the
  // most requested path, and a request it answers runs nothing else.
  app.route("/", trackingRouter);
  app.use(requestId());
  app.use(bindRequestContext);
  app.use(jsonBodies(app));

  app.route("/", healthRouter);
  app.route("/", workspacesRouter);
  app.route("/", apiKeysRouter);
  app.route("/", jobsRouter);
  app.route("/", templatesRouter);
  app.route("/", visualBuilderRouter);
  app.route("/", listsRouter);
  app.route("/", subscribersRouter);
  app.route("/", categoriesRouter);
  app.route("/", suppressionsRouter);
  app.route("/", audienceRouter);
  app.route("/", providersRouter);
  app.route("/", domainsRouter);
  app.route("/", identitiesRouter);
  app.route("/", dedicatedIpsRouter);
  app.route("/", poolsRouter);
  app.route("/", warmingRouter);
  app.route("/", importsRouter);
  app.route("/", campaignsRouter);
  app.route("/", onboardingFlowsRouter);
  app.route("/", preferencesRouter);
  app.route("/", webhookEndpointsRouter);
  app.route("/", providerWebhooksRouter);
  app.route("/", analyticsRouter);
  app.route("/", automationEventsRouter);
  app.route("/", automationRulesRouter);
  app.route("/", onboardingRouter);

  for (const [name, scheme] of Object.entries(securitySchemes)) {
    app.openAPIRegistry.registerComponent("securitySchemes", name, scheme);
  }
  app.doc31("/openapi.json", OPENAPI_DOCUMENT);
  app.route("/", docsRouter);

  app.onError(onError);
  app.notFound(onNotFound);
  return app;
}

export type App = ReturnType<typeof createApp>;
