import type { ClientContext, ClientResponse, ProbeResult } from "./contract";
import { type ProviderCredentials, type ProviderType, secretCredentialKeys } from "./credentials";

/** Helpers every client shares: requests under a timeout, reasons on one line, secrets kept out of them. */

export const DEFAULT_CLIENT_TIMEOUT_MS = 10_000;

export class ClientNetworkError extends Error {
  override name = "ClientNetworkError";
  constructor(
    message: string,
    readonly timedOut: boolean,
  ) {
    super(message);
  }
}

/** Called as a plain function: workerd refuses the global fetch invoked with another `this`. */
export const globalFetch: typeof fetch = (input, init) => fetch(input, init);

export function clientContext(settings: ClientContext["settings"], timeoutMs: number, send: typeof fetch = globalFetch): ClientContext {
  return { settings, timeoutMs, request: (url, init) => request(send, url, init, timeoutMs), httpFailure };
}

async function request(send: typeof fetch, url: string, init: RequestInit, timeoutMs: number): Promise<ClientResponse> {
  const host = new URL(url).host;
  try {
    // Not followed: a redirect would carry the credentials' headers to wherever it points.
    const response = await send(url, { ...init, redirect: "manual", signal: AbortSignal.timeout(timeoutMs) });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: parseBody(text) };
  } catch (error) {
    if (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError")) {
      throw new ClientNetworkError(`no answer from ${host} within ${timeoutMs} ms`, true);
    }
    throw new ClientNetworkError(`could not reach ${host}: ${describeError(error)}`, false);
  }
}

function parseBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export function httpFailure(response: ClientResponse, providerMessage?: string): ProbeResult {
  const reason = providerMessage ?? (typeof response.body === "string" ? response.body : "");
  const suffix = reason.trim() ? `: ${oneLine(reason)}` : "";
  if (response.status === 401 || response.status === 403) {
    return { ok: false, detail: `credentials rejected (HTTP ${response.status})${suffix}` };
  }
  return { ok: false, detail: `unexpected answer (HTTP ${response.status})${suffix}` };
}

export function describeError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return oneLine(message) || "unknown error";
}

/** Providers' error bodies can be pages of HTML; a reason is one short line. */
export function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > 300 ? `${flat.slice(0, 299)}…` : flat;
}

export function secretsOf(type: ProviderType, credentials: ProviderCredentials): string[] {
  const values = credentials as Record<string, unknown>;
  return secretCredentialKeys[type].map((key) => values[key as string]).filter((v): v is string => typeof v === "string" && v !== "");
}

/**
 * A last line of defence: providers and servers are not supposed to echo a secret back, but a detail is shown
 * to users and stored, so any secret found in it is blanked out whatever its source.
 */
export function redact(detail: string, secrets: string[]): string {
  return secrets.reduce((text, value) => text.replaceAll(value, "[redacted]"), detail);
}

/** Retry-After as milliseconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(headers: Headers, now: number = Date.now()): number | undefined {
  const value = headers.get("retry-after")?.trim();
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
