import { z } from "zod";
import { bounceTypes, eventTypes, trafficClasses } from "../../db/schema/enums";

/**
 * An open or click seen at the edge. The edge makes its id, which becomes the tracking event's id, so a
 * redelivered message records nothing twice. The IP address itself is never carried or stored.
 */
export const TrackingHitSchema = z.object({
  kind: z.literal("tracking_hit"),
  id: z.string().min(1).max(64),
  workspace_id: z.string().min(1),
  campaign_id: z.string().min(1),
  recipient_id: z.string().min(1),
  event_type: z.enum(["open", "click"]),
  /** Clicks: the original URL, from the signed token. */
  url: z.string().nullable(),
  link_index: z.number().int().nullable(),
  occurred_at: z.string(),
  /** When the message was composed, from the token: scanners click within seconds of it. */
  sent_at: z.string().nullable(),
  user_agent: z.string().max(1024).nullable(),
  ip_country: z.string().max(8).nullable(),
  /** What the edge could tell alone; the consumer may still find a bot (every link of a message at once). */
  traffic_class: z.enum(trafficClasses),
  traffic_reason: z.string().nullable(),
});

/** One provider webhook event, verified and normalized to the spec's event types. */
export const ProviderEventSchema = z.object({
  kind: z.literal("provider_event"),
  workspace_id: z.string().min(1),
  provider_id: z.string().min(1),
  provider_type: z.enum(["ses", "sendgrid", "mailgun", "postmark"]),
  /** The provider's own id for the event: with provider_id, what a redelivered webhook is recognised by. */
  provider_event_id: z.string().min(1),
  event_type: z.enum(eventTypes),
  bounce_type: z.enum(bounceTypes).nullable(),
  provider_message_id: z.string().nullable(),
  recipient_email: z.string().nullable(),
  /** From the tags, custom args or metadata the send attached; else the cascade finds them by message id. */
  campaign_id: z.string().nullable(),
  recipient_id: z.string().nullable(),
  /** Bounce diagnostic, complaint feedback type, rejection reason. */
  reason: z.string().nullable(),
  url: z.string().nullable(),
  user_agent: z.string().nullable(),
  occurred_at: z.string(),
  /** The provider's raw event (this one event, not the whole request body). */
  payload: z.unknown(),
});

/** The most hits one `tracking_hits` message carries. */
export const MAX_HITS_PER_MESSAGE = 100;

/**
 * The hits one isolate served within moments of each other, in one queue message (src/routes/tracking/hit-queue.ts):
 * queues bill, store and deliver per message, and a pixel's hit is only a few hundred bytes.
 */
export const TrackingHitsSchema = z.object({
  kind: z.literal("tracking_hits"),
  hits: z.array(TrackingHitSchema).min(1).max(MAX_HITS_PER_MESSAGE),
});

export const EventMessageSchema = z.discriminatedUnion("kind", [TrackingHitSchema, ProviderEventSchema]);
/** What EVENT_QUEUE carries: one event, or a message of hits. */
export const EventQueueMessageSchema = z.discriminatedUnion("kind", [TrackingHitSchema, TrackingHitsSchema, ProviderEventSchema]);
export type TrackingHit = z.infer<typeof TrackingHitSchema>;
export type TrackingHits = z.infer<typeof TrackingHitsSchema>;
export type ProviderEvent = z.infer<typeof ProviderEventSchema>;
export type EventMessage = z.infer<typeof EventMessageSchema>;
