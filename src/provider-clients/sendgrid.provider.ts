import { SendError } from "../domain/errors";
import { receiveSendgridWebhook } from "../domain/webhooks-in/sendgrid";
import type { ClientContext, ClientResponse, OutgoingMessage, ProbeResult, ProviderClient, SendContext, SendReceipt } from "./contract";
import type { ProviderCredentials } from "./credentials";
import { guardedSend, missingMessageId, retryAfterMs, sendFailure, sendRequest } from "./http";

/** The scope a key needs to send; SendGrid keys can be restricted to any subset of scopes. */
const SEND_SCOPE = "mail.send";

export function sendgridOrigin(baseUrl?: string): string {
  return (baseUrl ?? "https://api.sendgrid.com").replace(/\/+$/, "");
}

/** Lists the key's own scopes: valid keys answer 200 whatever they may do, so the probe also looks for mail.send. */
export async function probeSendgrid(credentials: ProviderCredentials<"sendgrid">, context: ClientContext): Promise<ProbeResult> {
  const response = await context.request(`${sendgridOrigin(context.settings.base_url)}/v3/scopes`, {
    method: "GET",
    headers: { authorization: `Bearer ${credentials.api_key}`, accept: "application/json" },
  });
  if (response.status !== 200) return context.httpFailure(response, sendgridErrorMessage(response));
  const scopes = (response.body as { scopes?: unknown } | null)?.scopes;
  if (!Array.isArray(scopes)) return { ok: false, detail: "unexpected answer: no scopes in the response" };
  if (!scopes.includes(SEND_SCOPE)) {
    return { ok: false, detail: `the API key lacks the ${SEND_SCOPE} scope (it has ${scopes.length}); give it Mail Send access` };
  }
  return { ok: true, detail: `the API key has the ${SEND_SCOPE} scope (${scopes.length} scopes in all)` };
}

/** SendGrid errors: {"errors": [{"field": …, "message": …}]}. */
function sendgridErrorMessage(response: ClientResponse): string | undefined {
  const errors = (response.body as { errors?: { message?: unknown }[] } | null)?.errors;
  if (!Array.isArray(errors)) return undefined;
  const messages = errors.map((e) => e?.message).filter((m): m is string => typeof m === "string");
  return messages.length ? messages.join("; ") : undefined;
}

/**
 * Headers SendGrid refuses in `headers` because it writes them itself from the other fields. Message-ID is not
 * among them: SendGrid keeps ours, so a reply or complaint that quotes it can be traced back.
 */
const RESERVED_HEADERS = new Set([
  "from",
  "to",
  "cc",
  "bcc",
  "subject",
  "reply-to",
  "content-type",
  "content-transfer-encoding",
  "mime-version",
  "date",
  "dkim-signature",
  "received",
  "x-sg-id",
  "x-sg-eid",
]);

function sendgridHeaders(message: OutgoingMessage): Record<string, string> {
  const headers = Object.fromEntries(
    Object.entries(message.headers).filter(([name]) => !RESERVED_HEADERS.has(name.toLowerCase()) && name.toLowerCase() !== "message-id"),
  );
  return { ...headers, "Message-ID": `<${message.messageId}>` };
}

/**
 * SendGrid answers 429 with X-RateLimit-Reset (when the window reopens, in Unix seconds) rather than
 * Retry-After; either says how long to wait.
 */
function sendgridRetryAfterMs(response: ClientResponse, now = Date.now()): number | undefined {
  const fromRetryAfter = retryAfterMs(response.headers, now);
  if (fromRetryAfter !== undefined) return fromRetryAfter;
  const reset = Number(response.headers.get("x-ratelimit-reset"));
  return Number.isFinite(reset) && reset > 0 ? Math.max(0, reset * 1000 - now) : undefined;
}

/** v3 mail/send with the message's parts: SendGrid builds the MIME itself from these fields. */
export async function sendSendgrid(
  message: OutgoingMessage,
  credentials: ProviderCredentials<"sendgrid">,
  context: SendContext,
): Promise<SendReceipt> {
  const body = {
    personalizations: [{ to: [address(message.to)], custom_args: { ...message.tags } }],
    from: address(message.from),
    ...(message.replyTo ? { reply_to: { email: message.replyTo } } : {}),
    subject: message.subject,
    // SendGrid insists on text/plain before text/html, and refuses an empty part.
    content: [
      { type: "text/plain", value: message.text },
      { type: "text/html", value: message.html },
    ].filter((part) => part.value !== ""),
    headers: sendgridHeaders(message),
    ...(context.settings.sandbox_mode ? { mail_settings: { sandbox_mode: { enable: true } } } : {}),
    ...(context.settings.tracking_enabled === false
      ? { tracking_settings: { click_tracking: { enable: false }, open_tracking: { enable: false } } }
      : {}),
  };
  const response = await sendRequest(context, `${sendgridOrigin(context.settings.base_url)}/v3/mail/send`, {
    method: "POST",
    headers: { authorization: `Bearer ${credentials.api_key}`, "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify(body),
  });
  if (response.status !== 202) {
    const failure = sendFailure(response, sendgridErrorMessage(response));
    if (response.status !== 429) throw failure;
    throw new SendError("retryable", failure.reason, sendgridRetryAfterMs(response));
  }
  const messageId = response.headers.get("x-message-id");
  if (!messageId) throw missingMessageId("sendgrid");
  return { providerMessageId: messageId };
}

const address = (who: { email: string; name?: string }) => (who.name ? { email: who.email, name: who.name } : { email: who.email });

export const sendgridClient: ProviderClient<"sendgrid"> = {
  type: "sendgrid",
  probe: probeSendgrid,
  send: (message, credentials, context) => guardedSend("sendgrid", credentials, () => sendSendgrid(message, credentials, context)),
  webhooks: { receive: receiveSendgridWebhook },
};
