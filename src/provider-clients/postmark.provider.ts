import type { SendFailureKind } from "../domain/errors";
import { receivePostmarkWebhook } from "../domain/webhooks-in/postmark";
import type { ClientContext, ClientResponse, OutgoingMessage, ProbeResult, ProviderClient, SendContext, SendReceipt } from "./contract";
import type { ProviderCredentials } from "./credentials";
import { guardedSend, missingMessageId, sendFailure, sendRequest } from "./http";

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

/**
 * Reads the server the token belongs to, then the message streams sends will name (the transactional one, and
 * the broadcasts one when the credentials name it), each of which must exist and be able to send.
 */
export async function probePostmark(credentials: ProviderCredentials<"postmark">, context: ClientContext): Promise<ProbeResult> {
  const origin = postmarkOrigin(context.settings.base_url);
  const headers = postmarkHeaders(credentials.server_token);
  const serverResponse = await context.request(`${origin}/server`, { method: "GET", headers });
  if (serverResponse.status !== 200) return context.httpFailure(serverResponse, postmarkErrorMessage(serverResponse));
  // Only the name and delivery type are read: the body also lists the server's API tokens.
  const server = (serverResponse.body ?? {}) as PostmarkServer;
  const serverPart = `server "${server.Name ?? "?"}"${server.DeliveryType === "Sandbox" ? " (sandbox: nothing is delivered)" : ""}`;

  const streams = [{ label: "message stream", id: credentials.message_stream }];
  if (credentials.broadcast_stream) streams.push({ label: "broadcasts stream", id: credentials.broadcast_stream });
  const found: string[] = [];
  for (const { label, id } of streams) {
    const checked = await probeStream(context, origin, headers, id);
    if ("problem" in checked) return { ok: false, detail: `${serverPart}, but ${label} "${id}"${checked.problem}` };
    found.push(`${label} "${id}" (${checked.type})`);
  }
  return { ok: true, detail: [serverPart, ...found].join(", ") };
}

/** One stream: its type when it can send; otherwise why not, worded to follow the stream's name. */
async function probeStream(
  context: ClientContext,
  origin: string,
  headers: Record<string, string>,
  id: string,
): Promise<{ type: string } | { problem: string }> {
  const response = await context.request(`${origin}/message-streams/${encodeURIComponent(id)}`, { method: "GET", headers });
  if (response.status !== 200) return { problem: `: ${context.httpFailure(response, postmarkErrorMessage(response)).detail}` };
  const stream = (response.body ?? {}) as PostmarkStream;
  if (stream.ArchivedAt) return { problem: " is archived" };
  if (stream.MessageStreamType === "Inbound") return { problem: " is an inbound stream and cannot send" };
  return { type: stream.MessageStreamType ?? "unknown type" };
}

/** Postmark errors: {"ErrorCode": 10, "Message": …}. */
function postmarkErrorMessage(response: ClientResponse): string | undefined {
  const body = response.body as { ErrorCode?: unknown; Message?: unknown } | null;
  if (!body || typeof body !== "object" || typeof body.Message !== "string") return undefined;
  return typeof body.ErrorCode === "number" ? `${body.Message} (Postmark error ${body.ErrorCode})` : body.Message;
}

/** The stream campaign sends go through when the credentials name none: Postmark's default broadcasts stream id. */
export const DEFAULT_BROADCAST_STREAM = "broadcast";

/** Postmark error codes that say the server or account cannot send at all, whoever the recipient. */
const ACCOUNT_ERROR_CODES = new Set([
  10, // bad or missing server token
  400, // sender signature not found
  401, // sender signature not confirmed
  405, // not allowed to send (out of credits)
  412, // account pending approval
  413, // account may not send
  1235, // message stream not found
]);

/** Codes that are this recipient's or this message's problem: the message will never be accepted as it is. */
const MESSAGE_ERROR_CODES = new Set([
  300, // invalid email request (an invalid address, a missing field)
  406, // inactive recipient: bounced, complained or unsubscribed at Postmark
]);

function postmarkFailureKind(response: ClientResponse): SendFailureKind | undefined {
  const code = (response.body as { ErrorCode?: unknown } | null)?.ErrorCode;
  if (typeof code !== "number") return undefined;
  if (code === 429) return "retryable";
  if (ACCOUNT_ERROR_CODES.has(code)) return "config";
  if (MESSAGE_ERROR_CODES.has(code)) return "permanent";
  return undefined;
}

/** /email with the message's parts; campaign mail goes through the broadcasts stream, one-to-one mail through the transactional one. */
export async function sendPostmark(
  message: OutgoingMessage,
  credentials: ProviderCredentials<"postmark">,
  context: SendContext,
): Promise<SendReceipt> {
  const body = {
    From: formatAddress(message.from),
    To: formatAddress(message.to),
    ...(message.replyTo ? { ReplyTo: message.replyTo } : {}),
    Subject: message.subject,
    HtmlBody: message.html,
    TextBody: message.text,
    Headers: [
      ...Object.entries(message.headers).filter(([name]) => name.toLowerCase() !== "message-id"),
      ["Message-ID", `<${message.messageId}>`],
    ].map(([Name, Value]) => ({ Name, Value })),
    Metadata: { ...message.tags },
    MessageStream: message.stream === "broadcast" ? (credentials.broadcast_stream ?? DEFAULT_BROADCAST_STREAM) : credentials.message_stream,
    ...(context.settings.tracking_enabled === false ? { TrackOpens: false, TrackLinks: "None" } : {}),
  };
  const response = await sendRequest(context, `${postmarkOrigin(context.settings.base_url)}/email`, {
    method: "POST",
    headers: { ...postmarkHeaders(credentials.server_token), "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (response.status !== 200) throw sendFailure(response, postmarkErrorMessage(response), postmarkFailureKind(response));
  const messageId = (response.body as { MessageID?: unknown } | null)?.MessageID;
  if (typeof messageId !== "string" || !messageId) throw missingMessageId("postmark");
  return { providerMessageId: messageId };
}

/** "Name <email>" with the name quoted, as Postmark parses From and To. */
function formatAddress(who: { email: string; name?: string }): string {
  if (!who.name) return who.email;
  return `"${who.name.replace(/["\\]/g, (c) => `\\${c}`)}" <${who.email}>`;
}

export const postmarkClient: ProviderClient<"postmark"> = {
  type: "postmark",
  probe: probePostmark,
  send: (message, credentials, context) => guardedSend("postmark", credentials, () => sendPostmark(message, credentials, context)),
  webhooks: { receive: receivePostmarkWebhook },
};
