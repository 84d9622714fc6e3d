import { base64ToBytes } from "../../lib/encoding";
import { LruCache } from "../../lib/lru-cache";
import type { InboundWebhook, NormalizedProviderEvent, ReceivedWebhook, WebhookContext } from "../../provider-clients/contract";
import { ecdsaDerToRaw } from "./der";
import { isObject, isoTime, type Json, parseJsonBody, stringAt } from "./fields";
import { malformed, unauthenticated } from "./rejection";

export const SENDGRID_SIGNATURE_HEADER = "x-twilio-email-event-webhook-signature";
export const SENDGRID_TIMESTAMP_HEADER = "x-twilio-email-event-webhook-timestamp";

const publicKeys = new LruCache<Promise<CryptoKey>>(64);

function importPublicKey(spkiBase64: string): Promise<CryptoKey> {
  return publicKeys.getOrCreate(spkiBase64, () => {
    const key = crypto.subtle.importKey("spki", base64ToBytes(spkiBase64.trim()), { name: "ECDSA", namedCurve: "P-256" }, false, [
      "verify",
    ]);
    key.catch(() => publicKeys.delete(spkiBase64));
    return key;
  });
}

/**
 * SendGrid's signed Event Webhook: ECDSA P-256 with SHA-256 over the timestamp header followed by the raw body,
 * verified with the base64 SPKI public key SendGrid shows (the provider's webhook signing key). No freshness window:
 * SendGrid does not promise one, and a replayed batch changes nothing (events are deduplicated on sg_event_id).
 */
export async function verifySendgridSignature(headers: Headers, body: Uint8Array, publicKeyBase64: string | null): Promise<void> {
  const signatureHeader = headers.get(SENDGRID_SIGNATURE_HEADER);
  const timestamp = headers.get(SENDGRID_TIMESTAMP_HEADER);
  if (!signatureHeader || !timestamp) throw unauthenticated("The SendGrid signature headers are missing");
  if (!publicKeyBase64) throw unauthenticated("No webhook signing key is set for this provider");
  let key: CryptoKey;
  try {
    key = await importPublicKey(publicKeyBase64);
  } catch {
    console.warn("SendGrid webhook: the provider's webhook signing key is not a base64 P-256 public key");
    throw unauthenticated("The provider's webhook signing key is not a SendGrid verification key");
  }
  let signature: Uint8Array | null;
  try {
    signature = ecdsaDerToRaw(base64ToBytes(signatureHeader.trim()), 32);
  } catch {
    signature = null;
  }
  if (!signature) throw unauthenticated("The SendGrid signature is not a DER ECDSA signature");
  const timestampBytes = new TextEncoder().encode(timestamp);
  const signed = new Uint8Array(timestampBytes.length + body.length);
  signed.set(timestampBytes, 0);
  signed.set(body, timestampBytes.length);
  const valid = await crypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, key, signature, signed);
  if (!valid) throw unauthenticated("The SendGrid signature does not verify");
}

/** SendGrid's x-message-id is the part of sg_message_id before the filter suffix it appends. */
const sendgridMessageId = (sgMessageId: string | null) => (sgMessageId ? sgMessageId.split(/\.(?:filter|recvd-)/)[0] : null);

function normalizeOne(event: Json): NormalizedProviderEvent | string {
  const kind = stringAt(event, "event") ?? "(no event)";
  const base = {
    provider_event_id: stringAt(event, "sg_event_id") ?? "",
    bounce_type: null,
    provider_message_id: sendgridMessageId(stringAt(event, "sg_message_id")),
    recipient_email: stringAt(event, "email"),
    // custom_args come back as top-level keys of each event.
    campaign_id: stringAt(event, "campaign_id"),
    recipient_id: stringAt(event, "recipient_id"),
    tagged_workspace_id: stringAt(event, "workspace_id"),
    reason: stringAt(event, "reason"),
    url: null,
    user_agent: stringAt(event, "useragent"),
    occurred_at: isoTime(event.timestamp) ?? "",
    payload: event,
  };
  if (!base.provider_event_id || !base.occurred_at) throw malformed(`A SendGrid ${kind} event has no sg_event_id or timestamp`);
  switch (kind) {
    case "processed":
      return { ...base, event_type: "send" };
    case "deferred":
      return { ...base, event_type: "delivery_delay", reason: stringAt(event, "response") };
    case "delivered":
      return { ...base, event_type: "delivery" };
    case "open":
      return { ...base, event_type: "open" };
    case "click":
      return { ...base, event_type: "click", url: stringAt(event, "url") };
    case "bounce":
      // "blocked" is SendGrid's temporary refusal (the address may take mail later); "bounce" is permanent.
      return { ...base, event_type: "bounce", bounce_type: stringAt(event, "type") === "blocked" ? "soft_bounce" : "hard_bounce" };
    case "dropped":
      return { ...base, event_type: "reject" };
    case "spamreport":
      return { ...base, event_type: "complaint" };
    case "unsubscribe":
    case "group_unsubscribe":
      return { ...base, event_type: "unsubscribe", reason: kind };
    default:
      return kind;
  }
}

/** A SendGrid Event Webhook body (an array of events) → normalized events; kinds not tracked are listed. */
export function normalizeSendgridEvents(body: unknown): ReceivedWebhook {
  if (!Array.isArray(body)) throw malformed("The SendGrid body is not an array of events");
  const received: ReceivedWebhook = { events: [], ignored: [] };
  for (const event of body) {
    if (!isObject(event)) throw malformed("A SendGrid event is not an object");
    const normalized = normalizeOne(event);
    if (typeof normalized === "string") received.ignored.push(normalized);
    else received.events.push(normalized);
  }
  return received;
}

export async function receiveSendgridWebhook(request: InboundWebhook, context: WebhookContext): Promise<ReceivedWebhook> {
  await verifySendgridSignature(request.headers, request.bytes, context.signingKey);
  return normalizeSendgridEvents(parseJsonBody(request.text));
}
