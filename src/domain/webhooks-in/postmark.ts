import { secretsEqual } from "../../lib/crypto";
import { base64ToBytes } from "../../lib/encoding";
import type { InboundWebhook, NormalizedProviderEvent, ReceivedWebhook, WebhookContext } from "../../provider-clients/contract";
import { isObject, isoTime, type Json, objectAt, parseJsonBody, stringAt } from "./fields";
import { malformed, unauthenticated } from "./rejection";

export const POSTMARK_SECRET_HEADER = "x-flarecast-webhook-secret";

function basicCredentials(authorization: string | null): string | null {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization ?? "");
  if (!match) return null;
  try {
    return new TextDecoder().decode(base64ToBytes(match[1]));
  } catch {
    return null;
  }
}

/**
 * Postmark signs nothing: its webhook carries HTTP Basic credentials set in the webhook URL
 * (`https://user:password@…`) or a custom header. The signing key is `user:password`, or the header's value;
 * either is compared with it in constant time (both sides hashed first, so not even the length leaks).
 */
export async function verifyPostmarkCredentials(headers: Headers, signingKey: string | null): Promise<void> {
  const presented = basicCredentials(headers.get("authorization")) ?? headers.get(POSTMARK_SECRET_HEADER);
  if (presented === null) throw unauthenticated("Postmark credentials are missing");
  if (!signingKey) throw unauthenticated("No webhook signing key is set for this provider");
  if (!(await secretsEqual(presented, signingKey))) throw unauthenticated("The Postmark credentials are wrong");
}

const HARD_BOUNCES = new Set(["HardBounce", "BadEmailAddress", "ManuallyDeactivated"]);
const SOFT_BOUNCES = new Set(["SoftBounce", "Transient", "DnsError", "Blocked", "DMARCPolicy", "AutoResponder"]);

/** One Postmark webhook record → a normalized event, or the record's kind when Flarecast does not track it. */
export function normalizePostmarkRecord(record: unknown): ReceivedWebhook {
  if (!isObject(record)) throw malformed("The Postmark body is not a JSON object");
  const recordType = stringAt(record, "RecordType");
  const messageId = stringAt(record, "MessageID");
  if (!recordType || !messageId) throw malformed("The Postmark record has no RecordType or MessageID");
  const metadata: Json | undefined = objectAt(record, "Metadata");
  // Bounces and complaints have an id of their own; other records are one per message and kind.
  const recordId = stringAt(record, "ID");
  const base: Omit<NormalizedProviderEvent, "event_type" | "occurred_at"> = {
    provider_event_id: `${recordType}:${recordId && (recordType === "Bounce" || recordType === "SpamComplaint") ? recordId : messageId}`,
    bounce_type: null,
    provider_message_id: messageId,
    recipient_email: stringAt(record, "Recipient") ?? stringAt(record, "Email"),
    campaign_id: stringAt(metadata, "campaign_id"),
    recipient_id: stringAt(metadata, "recipient_id"),
    tagged_workspace_id: stringAt(metadata, "workspace_id"),
    reason: null,
    url: null,
    user_agent: stringAt(record, "UserAgent"),
    payload: record,
  };
  const at = (field: string) => {
    const time = isoTime(record[field]);
    if (!time) throw malformed(`The Postmark ${recordType} record has no ${field}`);
    return time;
  };
  const one = (event: NormalizedProviderEvent): ReceivedWebhook => ({ events: [event], ignored: [] });
  switch (recordType) {
    case "Delivery":
      return one({ ...base, event_type: "delivery", reason: stringAt(record, "Details"), occurred_at: at("DeliveredAt") });
    case "Bounce": {
      const type = stringAt(record, "Type") ?? "";
      const reason = stringAt(record, "Details") || stringAt(record, "Description");
      if (type === "SpamComplaint") return one({ ...base, event_type: "complaint", reason, occurred_at: at("BouncedAt") });
      if (type === "TemplateRenderingFailed")
        return one({ ...base, event_type: "rendering_failure", reason, occurred_at: at("BouncedAt") });
      const bounceType = HARD_BOUNCES.has(type) ? "hard_bounce" : SOFT_BOUNCES.has(type) ? "soft_bounce" : "undetermined";
      return one({ ...base, event_type: "bounce", bounce_type: bounceType, reason, occurred_at: at("BouncedAt") });
    }
    case "SpamComplaint":
      return one({ ...base, event_type: "complaint", reason: stringAt(record, "Type"), occurred_at: at("BouncedAt") });
    case "Open":
      return one({ ...base, event_type: "open", occurred_at: at("ReceivedAt") });
    case "Click":
      return one({ ...base, event_type: "click", url: stringAt(record, "OriginalLink"), occurred_at: at("ReceivedAt") });
    case "SubscriptionChange":
      // SuppressSending false is a reactivation: nothing Flarecast records.
      if (record.SuppressSending !== true) return { events: [], ignored: ["SubscriptionChange (reactivated)"] };
      return one({ ...base, event_type: "unsubscribe", reason: stringAt(record, "SuppressionReason"), occurred_at: at("ChangedAt") });
    default:
      return { events: [], ignored: [recordType] };
  }
}

export async function receivePostmarkWebhook(request: InboundWebhook, context: WebhookContext): Promise<ReceivedWebhook> {
  await verifyPostmarkCredentials(request.headers, context.signingKey);
  return normalizePostmarkRecord(parseJsonBody(request.text));
}
