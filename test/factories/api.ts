import { exports } from "cloudflare:workers";
import { TEST_SECRETS } from "../secrets";

export const ADMIN_TOKEN = TEST_SECRETS.ADMIN_TOKEN;

export interface ApiRequest {
  method?: string;
  token?: string;
  body?: unknown;
  /** Sent as-is, for malformed-body tests. */
  rawBody?: string;
  headers?: Record<string, string>;
}

/** Calls the real Worker's fetch handler, as a client would. */
export async function api(path: string, { method = "GET", token, body, rawBody, headers = {} }: ApiRequest = {}) {
  const init: RequestInit = { method, headers: { ...headers } };
  const h = init.headers as Record<string, string>;
  if (token) h.authorization = `Bearer ${token}`;
  if (body !== undefined || rawBody !== undefined) {
    h["content-type"] ??= "application/json";
    init.body = rawBody ?? JSON.stringify(body);
  }
  const res = await exports.default.fetch(new Request(`http://flarecast.test${path}`, init));
  const text = await res.text();
  const json: any = text && res.headers.get("content-type")?.includes("json") ? JSON.parse(text) : undefined;
  return { status: res.status, headers: res.headers, json, text };
}

let counter = 0;

/** A fresh workspace and its first API key, through the public API. */
export async function createWorkspace(overrides: Record<string, unknown> = {}) {
  counter += 1;
  const res = await api("/workspaces", {
    method: "POST",
    token: ADMIN_TOKEN,
    body: { name: `Workspace ${counter}`, timezone: "UTC", ...overrides },
  });
  if (res.status !== 201) throw new Error(`workspace creation failed: ${res.status} ${res.text}`);
  return { workspace: res.json, key: res.json.api_key.key as string };
}
