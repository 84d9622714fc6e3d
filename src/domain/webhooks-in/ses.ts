import type { NormalizedProviderEvent, ReceivedWebhook } from "../../provider-clients/contract";
import { arrayAt, bareMessageId, isObject, isoTime, type Json, objectAt, stringAt } from "./fields";
import { malformed } from "./rejection";

/** The first value of an SES message tag (SES reports each tag as a list): the ids the send attached as EmailTags. */
const tag = (mail: Json | undefined, name: string): string | null => {
  const values = arrayAt(objectAt(mail, "tags"), name);
  return typeof values[0] === "string" ? values[0] : null;
};

/**
 * An SES event (configuration-set event publishing, key `eventType`) or identity notification (`notificationType`)
 * → normalized events, one per recipient it names. The event ids are built from SES's own ids (feedback id, message
 * id, the event's timestamp), so the same bounce published both ways, or redelivered by SNS, is recognised.
 */
export function normalizeSesEvent(message: unknown): ReceivedWebhook {
  if (!isObject(message)) throw malformed("The SES message is not a JSON object");
  const kind = stringAt(message, "eventType") ?? stringAt(message, "notificationType");
  if (!kind) throw malformed("The SES message has neither eventType nor notificationType");
  const mail = objectAt(message, "mail");
  const messageId = bareMessageId(stringAt(mail, "messageId"));
  if (!mail || !messageId) throw malformed("The SES message has no mail.messageId");
  // The time SES accepted the message: what an event without its own timestamp is dated.
  const sentAt = isoTime(stringAt(mail, "timestamp")) ?? new Date(0).toISOString();
  const destination = arrayAt(mail, "destination").filter((value): value is string => typeof value === "string");

  const event = (
    fields: Pick<NormalizedProviderEvent, "provider_event_id" | "event_type"> & Partial<NormalizedProviderEvent>,
  ): NormalizedProviderEvent => ({
    bounce_type: null,
    provider_message_id: messageId,
    recipient_email: destination[0] ?? null,
    campaign_id: tag(mail, "campaign_id"),
    recipient_id: tag(mail, "recipient_id"),
    tagged_workspace_id: tag(mail, "workspace_id"),
    reason: null,
    url: null,
    user_agent: null,
    occurred_at: sentAt,
    payload: message,
    ...fields,
  });

  switch (kind) {
    case "Send":
      return only(event({ provider_event_id: `send:${messageId}`, event_type: "send" }));
    case "Reject":
      return only(
        event({
          provider_event_id: `reject:${messageId}`,
          event_type: "reject",
          reason: stringAt(objectAt(message, "reject"), "reason"),
        }),
      );
    case "Rendering Failure":
      return only(
        event({
          provider_event_id: `rendering_failure:${messageId}`,
          event_type: "rendering_failure",
          reason: stringAt(objectAt(message, "failure"), "errorMessage"),
        }),
      );
    case "Delivery": {
      const delivery = objectAt(message, "delivery");
      const recipients = arrayAt(delivery, "recipients").filter((value): value is string => typeof value === "string");
      return many(
        (recipients.length > 0 ? recipients : destination.slice(0, 1)).map((email) =>
          event({
            provider_event_id: `delivery:${messageId}:${email}`,
            event_type: "delivery",
            recipient_email: email,
            occurred_at: isoTime(stringAt(delivery, "timestamp")) ?? sentAt,
          }),
        ),
      );
    }
    case "Bounce": {
      const bounce = objectAt(message, "bounce");
      const bounceType = stringAt(bounce, "bounceType");
      const feedbackId = stringAt(bounce, "feedbackId") ?? messageId;
      return many(
        arrayAt(bounce, "bouncedRecipients")
          .filter(isObject)
          .map((recipient) => {
            const email = stringAt(recipient, "emailAddress");
            return event({
              provider_event_id: `bounce:${feedbackId}:${email}`,
              event_type: "bounce",
              bounce_type: bounceType === "Permanent" ? "hard_bounce" : bounceType === "Transient" ? "soft_bounce" : "undetermined",
              recipient_email: email,
              reason: stringAt(recipient, "diagnosticCode") ?? [bounceType, stringAt(bounce, "bounceSubType")].filter(Boolean).join("/"),
              occurred_at: isoTime(stringAt(bounce, "timestamp")) ?? sentAt,
            });
          }),
      );
    }
    case "Complaint": {
      const complaint = objectAt(message, "complaint");
      const feedbackId = stringAt(complaint, "feedbackId") ?? messageId;
      return many(
        arrayAt(complaint, "complainedRecipients")
          .filter(isObject)
          .map((recipient) => {
            const email = stringAt(recipient, "emailAddress");
            return event({
              provider_event_id: `complaint:${feedbackId}:${email}`,
              event_type: "complaint",
              recipient_email: email,
              reason: stringAt(complaint, "complaintFeedbackType"),
              user_agent: stringAt(complaint, "userAgent"),
              occurred_at: isoTime(stringAt(complaint, "timestamp")) ?? sentAt,
            });
          }),
      );
    }
    case "DeliveryDelay": {
      const delay = objectAt(message, "deliveryDelay");
      const at = stringAt(delay, "timestamp");
      return many(
        arrayAt(delay, "delayedRecipients")
          .filter(isObject)
          .map((recipient) => {
            const email = stringAt(recipient, "emailAddress");
            return event({
              provider_event_id: `delivery_delay:${messageId}:${at}:${email}`,
              event_type: "delivery_delay",
              recipient_email: email,
              reason: stringAt(recipient, "diagnosticCode") ?? stringAt(delay, "delayType"),
              occurred_at: isoTime(at) ?? sentAt,
            });
          }),
      );
    }
    case "Open": {
      const open = objectAt(message, "open");
      const at = stringAt(open, "timestamp");
      return only(
        event({
          provider_event_id: `open:${messageId}:${at}`,
          event_type: "open",
          user_agent: stringAt(open, "userAgent"),
          occurred_at: isoTime(at) ?? sentAt,
        }),
      );
    }
    case "Click": {
      const click = objectAt(message, "click");
      const at = stringAt(click, "timestamp");
      const link = stringAt(click, "link");
      return only(
        event({
          provider_event_id: `click:${messageId}:${at}:${link}`,
          event_type: "click",
          url: link,
          user_agent: stringAt(click, "userAgent"),
          occurred_at: isoTime(at) ?? sentAt,
        }),
      );
    }
    case "Subscription": {
      const subscription = objectAt(message, "subscription");
      const preferences = objectAt(subscription, "newTopicPreferences");
      const optedOut =
        preferences?.unsubscribeAll === true ||
        arrayAt(preferences, "topicSubscriptionStatus").some((topic) => stringAt(topic, "subscriptionStatus") === "OptOut");
      if (!optedOut) return { events: [], ignored: ["Subscription (opt-in)"] };
      const at = stringAt(subscription, "timestamp");
      return only(
        event({
          provider_event_id: `unsubscribe:${messageId}:${at}`,
          event_type: "unsubscribe",
          reason: stringAt(subscription, "source"),
          occurred_at: isoTime(at) ?? sentAt,
        }),
      );
    }
    default:
      return { events: [], ignored: [kind] };
  }
}

const only = (event: NormalizedProviderEvent): ReceivedWebhook => ({ events: [event], ignored: [] });
const many = (events: NormalizedProviderEvent[]): ReceivedWebhook => ({ events, ignored: [] });
