import { toHex } from "../../lib/encoding";
import { timingSafeEqual } from "../../lib/signing";
import type { InboundWebhook, NormalizedProviderEvent, ReceivedWebhook, WebhookContext } from "../../provider-clients/contract";
import { bareMessageId, isObject, isoTime, type Json, objectAt, parseJsonBody, stringAt } from "./fields";
import { malformed, unauthenticated } from "./rejection";

/** How far a signature's timestamp may be from now, either way; a token is remembered at least this long. */
export const MAILGUN_FRESHNESS_SECONDS = 15 * 60;

const encoder = new TextEncoder();

/**
 * Mailgun's webhook signature: hex HMAC-SHA-256 of timestamp + token under the HTTP webhook signing key, with the
 * timestamp within MAILGUN_FRESHNESS_SECONDS of now. (The token's first use is claimed by the caller, once the
 * body is known to be readable, so a request refused for another reason does not burn it.)
 */
export async function verifyMailgunSignature(signature: Json | undefined, signingKey: string | null, now: Date): Promise<string> {
  const timestamp = stringAt(signature, "timestamp");
  const token = stringAt(signature, "token");
  const given = stringAt(signature, "signature");
  if (!timestamp || !token || !given) throw unauthenticated("The Mailgun signature is missing");
  if (!signingKey) throw unauthenticated("No webhook signing key is set for this provider");
  const key = await crypto.subtle.importKey("raw", encoder.encode(signingKey), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const expected = toHex(new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(timestamp + token))));
  if (!timingSafeEqual(expected, given.toLowerCase())) throw unauthenticated("The Mailgun signature does not verify");
  const age = now.getTime() / 1000 - Number(timestamp);
  if (!(Math.abs(age) <= MAILGUN_FRESHNESS_SECONDS)) throw unauthenticated("The Mailgun signature is stale");
  return token;
}

const userVariable = (variables: Json | undefined, name: string) => stringAt(variables, name);

/** One Mailgun event (`event-data`) → a normalized event, or the kind's name when Flarecast does not track it. */
export function normalizeMailgunEvent(data: unknown): ReceivedWebhook {
  if (!isObject(data)) throw malformed("The Mailgun body has no event-data");
  const kind = stringAt(data, "event") ?? "(no event)";
  const id = stringAt(data, "id");
  const occurredAt = isoTime(data.timestamp);
  if (!id || !occurredAt) throw malformed(`The Mailgun ${kind} event has no id or timestamp`);
  const variables = objectAt(data, "user-variables");
  const deliveryStatus = objectAt(data, "delivery-status");
  const base: Omit<NormalizedProviderEvent, "event_type"> = {
    provider_event_id: id,
    bounce_type: null,
    provider_message_id: bareMessageId(stringAt(objectAt(objectAt(data, "message"), "headers"), "message-id")),
    recipient_email: stringAt(data, "recipient"),
    campaign_id: userVariable(variables, "campaign_id"),
    recipient_id: userVariable(variables, "recipient_id"),
    tagged_workspace_id: userVariable(variables, "workspace_id"),
    reason: null,
    url: null,
    user_agent: stringAt(objectAt(data, "client-info"), "user-agent"),
    occurred_at: occurredAt,
    payload: data,
  };
  const diagnostic = stringAt(deliveryStatus, "description") || stringAt(deliveryStatus, "message") || stringAt(data, "reason") || null;
  const one = (event: NormalizedProviderEvent): ReceivedWebhook => ({ events: [event], ignored: [] });
  switch (kind) {
    case "accepted":
      return one({ ...base, event_type: "send" });
    case "delivered":
      return one({ ...base, event_type: "delivery" });
    case "failed": {
      const reason = stringAt(data, "reason");
      // Mailgun refuses to send to an address on its own suppression lists with reason suppress-*: never sent.
      if (reason?.startsWith("suppress-")) return one({ ...base, event_type: "reject", reason: diagnostic });
      // A temporary failure is retried by Mailgun; only a permanent one ends the delivery.
      if (stringAt(data, "severity") === "temporary") return one({ ...base, event_type: "delivery_delay", reason: diagnostic });
      return one({ ...base, event_type: "bounce", bounce_type: "hard_bounce", reason: diagnostic });
    }
    case "rejected":
      return one({ ...base, event_type: "reject", reason: diagnostic });
    case "opened":
      return one({ ...base, event_type: "open" });
    case "clicked":
      return one({ ...base, event_type: "click", url: stringAt(data, "url") });
    case "unsubscribed":
      return one({ ...base, event_type: "unsubscribe" });
    case "complained":
      return one({ ...base, event_type: "complaint" });
    default:
      return { events: [], ignored: [kind] };
  }
}

export async function receiveMailgunWebhook(request: InboundWebhook, context: WebhookContext): Promise<ReceivedWebhook> {
  const body = parseJsonBody(request.text);
  if (!isObject(body)) throw malformed("The Mailgun body is not a JSON object");
  const token = await verifyMailgunSignature(objectAt(body, "signature"), context.signingKey, context.now);
  const received = normalizeMailgunEvent(body["event-data"]);
  if (!(await context.claimReplayToken(token))) throw unauthenticated("The Mailgun token was used before (a replay)");
  return received;
}
