import { SendError, type SendFailureKind } from "../domain/errors";
import type { ClientContext, ClientResponse, ProbeResult, SendReceipt } from "./contract";
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
  // Parsed only for an error's text: a send's hot path makes no URL object it does not need.
  const host = () => new URL(url).host;
  try {
    // Not followed: a redirect would carry the credentials' headers to wherever it points.
    const response = await send(url, { ...init, redirect: "manual", signal: AbortSignal.timeout(timeoutMs) });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: parseBody(text) };
  } catch (error) {
    if (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError")) {
      throw new ClientNetworkError(`no answer from ${host()} within ${timeoutMs} ms`, true);
    }
    throw new ClientNetworkError(`could not reach ${host()}: ${describeError(error)}`, false);
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

/**
 * The SendError for a provider's answer that is not a success, by the rules every HTTP provider shares: 429
 * and 5xx are retried (honouring Retry-After), 401 and 403 mean the account's credentials cannot send, any
 * other 4xx means this message will never be accepted. `kind` overrides the status where a provider's own
 * error code says more than its status does.
 */
export function sendFailure(response: ClientResponse, reason: string | undefined, kind?: SendFailureKind): SendError {
  const detail = `HTTP ${response.status}${reason?.trim() ? `: ${oneLine(reason)}` : ""}`;
  const decided = kind ?? kindOfStatus(response.status);
  return new SendError(decided, detail, decided === "retryable" ? retryAfterMs(response.headers) : undefined);
}

function kindOfStatus(status: number): SendFailureKind {
  if (status === 429 || status >= 500) return "retryable";
  if (status === 401 || status === 403) return "config";
  if (status >= 400) return "permanent";
  // A redirect (never followed) comes from something in front of the API, not the API: base_url is wrong.
  if (status >= 300) return "config";
  // A success other than the one the API documents: it may well have taken the message.
  return "unknown";
}

/**
 * A request that failed on the network. A timeout leaves the outcome open: the provider may have accepted the
 * message and only its answer got lost, so sending again could deliver twice. A connection that was never
 * made (refused, DNS) handed nothing over and is safe to retry.
 */
export function networkFailure(error: ClientNetworkError): SendError {
  return new SendError(error.timedOut ? "unknown" : "retryable", error.message);
}

/** One send request: a network failure becomes the SendError it means; any HTTP status is returned. */
export async function sendRequest(context: ClientContext, url: string, init: RequestInit): Promise<ClientResponse> {
  try {
    return await context.request(url, init);
  } catch (error) {
    if (error instanceof ClientNetworkError) throw networkFailure(error);
    throw error;
  }
}

/**
 * Runs one client's send so that whatever it rejects with is a SendError whose reason holds no credential.
 * Anything else thrown (a bug, a malformed answer) becomes `unknown`: it may have come after the provider took
 * the message, and a guess of "retry" could deliver twice.
 */
export async function guardedSend<T extends ProviderType>(
  type: T,
  credentials: ProviderCredentials<T>,
  send: () => Promise<SendReceipt>,
): Promise<SendReceipt> {
  const secrets = secretsOf(type, credentials);
  try {
    return await send();
  } catch (error) {
    if (error instanceof SendError) throw new SendError(error.kind, redact(oneLine(error.reason), secrets), error.retryAfterMs);
    throw new SendError("unknown", redact(`${type} send failed: ${describeError(error)}`, secrets));
  }
}

/** The provider answered with success but without the id its events will name: it has the message. */
export function missingMessageId(type: ProviderType): SendError {
  return new SendError("unknown", `${type} accepted the message but its answer carried no message id`);
}
