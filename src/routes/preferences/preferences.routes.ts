import { createRoute, z } from "@hono/zod-openapi";
import { ProblemSchema } from "../../lib/errors";
import { problemResponses } from "../../lib/openapi";
import {
  EmptyJsonSchema,
  OneClickFormSchema,
  PreferencesSchema,
  PreferenceTokenParamsSchema,
  UpdatePreferencesFormSchema,
  UpdatePreferencesJsonSchema,
} from "./preferences.schemas";

const tags = ["Preference center"];
const path = "/preferences/{token}";
const html = { schema: z.string().openapi({ description: "A server-rendered HTML page; it contains no JavaScript" }) };

const NEGOTIATION =
  "Public: the token is the only credential (no API key, no cookie). The answer is an HTML page for clients that " +
  "accept `text/html`, JSON otherwise (`Accept: application/json`).";

const pageOrJson = (description: string) => ({
  content: { "text/html": html, "application/json": { schema: PreferencesSchema } },
  description,
});

/** One answer for every token that is not valid: made up, altered, signed with an unknown key, or for a deleted subscriber. */
const invalidToken = {
  404: {
    content: { "application/problem+json": { schema: ProblemSchema }, "text/html": html },
    description: "The link is not valid. The answer is the same whatever is wrong with it.",
  },
};

export const getPreferences = createRoute({
  method: "get",
  path,
  operationId: "getPreferences",
  summary: "Show a subscriber's preference page",
  description: `${NEGOTIATION} A GET never changes anything, so link scanners that follow it do no harm.`,
  tags,
  security: [],
  request: { params: PreferenceTokenParamsSchema },
  responses: { 200: pageOrJson("The subscriber's categories, frequency and status"), ...invalidToken },
});

export const updatePreferences = createRoute({
  method: "post",
  path,
  operationId: "updatePreferences",
  summary: "Save category subscriptions and frequency",
  description:
    `${NEGOTIATION} Without an Accept preference, a form post gets the page and a JSON post gets JSON. Saving ` +
    "never resubscribes an unsubscribed address. A change is recorded as `preferences_updated` with source `preference_center`.",
  tags,
  security: [],
  request: {
    params: PreferenceTokenParamsSchema,
    body: {
      content: {
        "application/x-www-form-urlencoded": { schema: UpdatePreferencesFormSchema },
        "application/json": { schema: UpdatePreferencesJsonSchema },
      },
      required: true,
    },
  },
  responses: {
    200: pageOrJson("Saved: the page with a confirmation, or the new preferences"),
    ...invalidToken,
    ...problemResponses("bad_request", "validation_failed"),
  },
});

export const unsubscribeAll = createRoute({
  method: "post",
  path: `${path}/unsubscribe`,
  operationId: "unsubscribeAll",
  summary: "Unsubscribe from all email (RFC 8058 one-click)",
  description:
    "The target of `List-Unsubscribe` with `List-Unsubscribe-Post: List-Unsubscribe=One-Click`. A POST with a form " +
    "body, a JSON body or none unsubscribes at once, without cookies or JavaScript; repeating it changes nothing (the first time is kept). " +
    "The source is `link` for the one-click body `List-Unsubscribe=One-Click` and `preference_center` otherwise " +
    "(the page's button). A one-click request gets a short `text/plain` confirmation; a browser gets a page.",
  tags,
  security: [],
  request: {
    params: PreferenceTokenParamsSchema,
    body: {
      content: {
        "application/x-www-form-urlencoded": { schema: OneClickFormSchema },
        "multipart/form-data": { schema: OneClickFormSchema },
        "application/json": { schema: EmptyJsonSchema },
      },
      required: false,
    },
  },
  responses: {
    200: {
      content: {
        "text/plain": { schema: z.string().openapi({ example: "You have been unsubscribed from all email from Acme Newsletters." }) },
        "text/html": html,
        "application/json": { schema: PreferencesSchema },
      },
      description: "Unsubscribed (or already unsubscribed)",
    },
    ...invalidToken,
    ...problemResponses("bad_request"),
  },
});

export const resubscribe = createRoute({
  method: "post",
  path: `${path}/resubscribe`,
  operationId: "resubscribe",
  summary: "Resubscribe after unsubscribing",
  description:
    `${NEGOTIATION} Recorded as \`resubscribed\` with source \`preference_center\`. Bounced, complained and ` +
    "suppressed addresses (or addresses in a suppressed domain) cannot resubscribe here (409).",
  tags,
  security: [],
  request: { params: PreferenceTokenParamsSchema },
  responses: {
    200: pageOrJson("Subscribed again (or already subscribed)"),
    ...invalidToken,
    409: {
      content: { "application/problem+json": { schema: ProblemSchema }, "text/html": html },
      description: "The address bounced, reported a complaint or is suppressed, so it cannot be resubscribed",
    },
  },
});
