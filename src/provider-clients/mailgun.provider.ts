import { SendError } from "../domain/errors";
import type { ClientContext, ClientResponse, ProbeResult, ProviderClient } from "./contract";
import type { ProviderCredentials } from "./credentials";

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
  let binary = "";
  for (const byte of new TextEncoder().encode(`api:${apiKey}`)) binary += String.fromCharCode(byte);
  return `Basic ${btoa(binary)}`;
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

export const mailgunClient: ProviderClient<"mailgun"> = {
  type: "mailgun",
  probe: probeMailgun,
  async send() {
    throw new SendError("config", "sending through mailgun is not built yet");
  },
  webhooks: null,
};
