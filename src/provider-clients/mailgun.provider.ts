import { receiveMailgunWebhook } from "../domain/webhooks-in/mailgun";
import { textToBase64 } from "../lib/encoding";
import type { ClientContext, ClientResponse, OutgoingMessage, ProbeResult, ProviderClient, SendContext, SendReceipt } from "./contract";
import type { ProviderCredentials } from "./credentials";
import { guardedSend, missingMessageId, sendFailure, sendRequest } from "./http";

const ORIGINS = { us: "https://api.mailgun.net", eu: "https://api.eu.mailgun.net" } as const;

/** Mailgun's domain states; only an active domain can send. */
interface MailgunDomain {
  name?: string;
  state?: string;
}

export function mailgunOrigin(region: "us" | "eu", baseUrl?: string): string {
  return (baseUrl ?? ORIGINS[region]).replace(/\/+$/, "");
}

export function mailgunAuthorization(apiKey: string): string {
  return `Basic ${textToBase64(`api:${apiKey}`)}`;
}

/** Fetches the sending domain: proves the key and that the domain lives in this account and region. */
export async function probeMailgun(credentials: ProviderCredentials<"mailgun">, context: ClientContext): Promise<ProbeResult> {
  const origin = mailgunOrigin(credentials.region, context.settings.base_url);
  const response = await context.request(`${origin}/v3/domains/${encodeURIComponent(credentials.domain)}`, {
    method: "GET",
    headers: { authorization: mailgunAuthorization(credentials.api_key), accept: "application/json" },
  });
  if (response.status === 404) {
    const other = credentials.region === "us" ? "eu" : "us";
    return {
      ok: false,
      detail: `domain ${credentials.domain} not found in this Mailgun account's ${credentials.region.toUpperCase()} region (HTTP 404); is it in the ${other.toUpperCase()} region?`,
    };
  }
  if (response.status !== 200) return context.httpFailure(response, mailgunErrorMessage(response));
  const domain = (response.body as { domain?: MailgunDomain } | null)?.domain;
  const state = domain?.state ?? "unknown";
  const name = domain?.name ?? credentials.domain;
  if (state !== "active") return { ok: false, detail: `domain ${name} is ${state}; Mailgun sends only from active domains` };
  return { ok: true, detail: `domain ${name} is active` };
}

/** Mailgun errors are {"message": …} as JSON, or a bare "Forbidden" as text on a bad key. */
function mailgunErrorMessage(response: ClientResponse): string | undefined {
  const message = (response.body as { message?: unknown } | null)?.message;
  return typeof message === "string" ? message : undefined;
}

/**
 * messages.mime with the whole MIME message as the `message` file, so Mailgun sends exactly the headers we
 * built; `to` is the envelope recipient and `v:` variables come back with the events as user-variables.
 */
export async function sendMailgun(
  message: OutgoingMessage,
  credentials: ProviderCredentials<"mailgun">,
  context: SendContext,
): Promise<SendReceipt> {
  const form = new FormData();
  form.append("to", message.to.email);
  for (const [name, value] of Object.entries(message.tags)) form.append(`v:${name}`, value);
  if (context.settings.sandbox_mode) form.append("o:testmode", "yes");
  form.append("message", new Blob([message.raw], { type: "message/rfc822" }), "message.eml");
  const origin = mailgunOrigin(credentials.region, context.settings.base_url);
  const response = await sendRequest(context, `${origin}/v3/${encodeURIComponent(credentials.domain)}/messages.mime`, {
    method: "POST",
    headers: { authorization: mailgunAuthorization(credentials.api_key), accept: "application/json" },
    body: form,
  });
  if (response.status !== 200) {
    // A domain this key cannot see is an account problem, not this recipient's.
    const kind = response.status === 404 ? "config" : undefined;
    throw sendFailure(response, mailgunErrorMessage(response) ?? (typeof response.body === "string" ? response.body : undefined), kind);
  }
  const id = (response.body as { id?: unknown } | null)?.id;
  if (typeof id !== "string" || !id.trim()) throw missingMessageId("mailgun");
  return { providerMessageId: id.trim().replace(/^<|>$/g, "") };
}

export const mailgunClient: ProviderClient<"mailgun"> = {
  type: "mailgun",
  probe: probeMailgun,
  send: (message, credentials, context) => guardedSend("mailgun", credentials, () => sendMailgun(message, credentials, context)),
  webhooks: { receive: receiveMailgunWebhook },
};
