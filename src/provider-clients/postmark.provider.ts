import { SendError } from "../domain/errors";
import type { ClientContext, ClientResponse, ProbeResult, ProviderClient } from "./contract";
import type { ProviderCredentials } from "./credentials";

interface PostmarkServer {
  Name?: string;
  DeliveryType?: string;
}

interface PostmarkStream {
  ID?: string;
  MessageStreamType?: string;
  ArchivedAt?: string | null;
}

export function postmarkOrigin(baseUrl?: string): string {
  return (baseUrl ?? "https://api.postmarkapp.com").replace(/\/+$/, "");
}

export function postmarkHeaders(serverToken: string): Record<string, string> {
  return { accept: "application/json", "x-postmark-server-token": serverToken };
}

/** Reads the server the token belongs to, then the message stream sends will name, which must exist and send. */
export async function probePostmark(credentials: ProviderCredentials<"postmark">, context: ClientContext): Promise<ProbeResult> {
  const origin = postmarkOrigin(context.settings.base_url);
  const headers = postmarkHeaders(credentials.server_token);
  const serverResponse = await context.request(`${origin}/server`, { method: "GET", headers });
  if (serverResponse.status !== 200) return context.httpFailure(serverResponse, postmarkErrorMessage(serverResponse));
  // Only the name and delivery type are read: the body also lists the server's API tokens.
  const server = (serverResponse.body ?? {}) as PostmarkServer;
  const serverPart = `server "${server.Name ?? "?"}"${server.DeliveryType === "Sandbox" ? " (sandbox: nothing is delivered)" : ""}`;

  const stream = credentials.message_stream;
  const streamResponse = await context.request(`${origin}/message-streams/${encodeURIComponent(stream)}`, { method: "GET", headers });
  if (streamResponse.status !== 200) {
    const failure = context.httpFailure(streamResponse, postmarkErrorMessage(streamResponse));
    return { ok: false, detail: `${serverPart}, but message stream "${stream}": ${failure.detail}` };
  }
  const found = (streamResponse.body ?? {}) as PostmarkStream;
  if (found.ArchivedAt) return { ok: false, detail: `${serverPart}, but message stream "${stream}" is archived` };
  if (found.MessageStreamType === "Inbound") {
    return { ok: false, detail: `${serverPart}, but message stream "${stream}" is an inbound stream and cannot send` };
  }
  return { ok: true, detail: `${serverPart}, message stream "${stream}" (${found.MessageStreamType ?? "unknown type"})` };
}

/** Postmark errors: {"ErrorCode": 10, "Message": …}. */
function postmarkErrorMessage(response: ClientResponse): string | undefined {
  const body = response.body as { ErrorCode?: unknown; Message?: unknown } | null;
  if (!body || typeof body !== "object" || typeof body.Message !== "string") return undefined;
  return typeof body.ErrorCode === "number" ? `${body.Message} (Postmark error ${body.ErrorCode})` : body.Message;
}

export const postmarkClient: ProviderClient<"postmark"> = {
  type: "postmark",
  probe: probePostmark,
  async send() {
    throw new SendError("config", "sending through postmark is not built yet");
  },
  webhooks: null,
};
