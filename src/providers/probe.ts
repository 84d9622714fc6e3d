import type { ProviderSettings } from "../db/schema/infrastructure";
import { probeCapture } from "./capture.provider";
import { type ProviderCredentials, type ProviderType, secretCredentialKeys } from "./credentials";
import { probeMailgun } from "./mailgun.provider";
import { probePostmark } from "./postmark.provider";
import { probeSendgrid } from "./sendgrid.provider";
import { probeSes } from "./ses.provider";
import { probeSmtp } from "./smtp.provider";

export interface ProbeResult {
  ok: boolean;
  /** human-readable, NEVER contains a credential value */
  detail: string;
}

export interface ProbeOptions {
  fetch?: typeof fetch;
  timeoutMs?: number;
}

/** A provider's answer: the status and the body, parsed when it is JSON and as text otherwise. */
export interface ProbeResponse {
  status: number;
  headers: Headers;
  body: unknown;
}

/**
 * What each provider's probe is handed. The HTTP helpers come in here rather than being imported, so the
 * provider modules do not import this one back.
 */
export interface ProbeContext {
  settings: ProviderSettings;
  timeoutMs: number;
  /** One request under the timeout. Throws on a network failure or timeout; any HTTP status is returned. */
  request(url: string, init: RequestInit): Promise<ProbeResponse>;
  /** The result for a response that is not the success the probe wanted, with the provider's own reason. */
  httpFailure(response: ProbeResponse, providerMessage?: string): ProbeResult;
}

export const DEFAULT_PROBE_TIMEOUT_MS = 10_000;

type Probe<T extends ProviderType> = (credentials: ProviderCredentials<T>, context: ProbeContext) => Promise<ProbeResult>;

const probes: { [T in ProviderType]: Probe<T> } = {
  ses: probeSes,
  sendgrid: probeSendgrid,
  mailgun: probeMailgun,
  postmark: probePostmark,
  smtp: probeSmtp,
  capture: probeCapture,
};

/**
 * Tests credentials against the provider's real API with a read-only call (or, for SMTP, a login). Never
 * throws: every failure, including the network's, comes back as `ok: false` with a reason that is safe to show.
 */
export async function probeProvider(
  type: ProviderType,
  credentials: ProviderCredentials,
  settings: ProviderSettings,
  options: ProbeOptions = {},
): Promise<ProbeResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
  // Called as a plain function: workerd refuses the global fetch invoked with another `this`.
  const send = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
  const context: ProbeContext = {
    settings,
    timeoutMs,
    request: (url, init) => request(send, url, init, timeoutMs),
    httpFailure,
  };
  const probe = probes[type] as Probe<ProviderType>;
  let result: ProbeResult;
  try {
    result = await probe(credentials, context);
  } catch (error) {
    result = { ok: false, detail: describeError(error) };
  }
  return { ok: result.ok, detail: redact(result.detail, secretsOf(type, credentials)) };
}

async function request(send: typeof fetch, url: string, init: RequestInit, timeoutMs: number): Promise<ProbeResponse> {
  const host = new URL(url).host;
  try {
    // Not followed: a redirect would carry the credentials' headers to wherever it points.
    const response = await send(url, { ...init, redirect: "manual", signal: AbortSignal.timeout(timeoutMs) });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: parseBody(text) };
  } catch (error) {
    if (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError")) {
      throw new ProbeNetworkError(`no answer from ${host} within ${timeoutMs} ms`);
    }
    throw new ProbeNetworkError(`could not reach ${host}: ${describeError(error)}`);
  }
}

function parseBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function httpFailure(response: ProbeResponse, providerMessage?: string): ProbeResult {
  const reason = providerMessage ?? (typeof response.body === "string" ? response.body : "");
  const suffix = reason.trim() ? `: ${oneLine(reason)}` : "";
  if (response.status === 401 || response.status === 403) {
    return { ok: false, detail: `credentials rejected (HTTP ${response.status})${suffix}` };
  }
  return { ok: false, detail: `unexpected answer (HTTP ${response.status})${suffix}` };
}

class ProbeNetworkError extends Error {
  override name = "ProbeNetworkError";
}

function describeError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return oneLine(message) || "unknown error";
}

/** Providers' error bodies can be pages of HTML; a reason is one short line. */
function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > 300 ? `${flat.slice(0, 299)}…` : flat;
}

function secretsOf(type: ProviderType, credentials: ProviderCredentials): string[] {
  const values = credentials as Record<string, unknown>;
  return secretCredentialKeys[type].map((key) => values[key as string]).filter((v): v is string => typeof v === "string" && v !== "");
}

/**
 * A last line of defence: providers and servers are not supposed to echo a secret back, but a detail is shown
 * to users and stored, so any secret found in it is blanked out whatever its source.
 */
function redact(detail: string, secrets: string[]): string {
  return secrets.reduce((text, value) => text.replaceAll(value, "[redacted]"), detail);
}
