/** The event types a workspace's webhook endpoints can ask for. */
export const outgoingEventTypes = [
  "email.sent",
  "email.delivered",
  "email.bounced",
  "email.complained",
  "email.rejected",
  "email.opened",
  "email.clicked",
  "email.unsubscribed",
  "email.rendering_failed",
  "email.delayed",
] as const;
export type OutgoingEventType = (typeof outgoingEventTypes)[number];

/** A normalized event as a workspace's endpoints receive it: `{type, timestamp, data}` on the wire. */
export interface OutgoingEvent {
  workspace_id: string;
  type: OutgoingEventType;
  occurred_at: string;
  /** campaign_id, recipient_id, email, url, bounce_type, reason, …: what the event knows. */
  data: Record<string, unknown>;
}
