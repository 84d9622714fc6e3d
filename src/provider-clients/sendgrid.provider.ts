import { SendError } from "../domain/errors";
import type { ClientContext, ClientResponse, ProbeResult, ProviderClient } from "./contract";
import type { ProviderCredentials } from "./credentials";

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

export const sendgridClient: ProviderClient<"sendgrid"> = {
  type: "sendgrid",
  probe: probeSendgrid,
  async send() {
    throw new SendError("config", "sending through sendgrid is not built yet");
  },
  webhooks: null,
};
