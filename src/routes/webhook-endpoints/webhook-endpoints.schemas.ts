import { z } from "@hono/zod-openapi";
import type { DeliveryWithAttempts, EndpointView, WebhookDelivery } from "../../domain/webhooks-out/endpoints";
import { outgoingEventTypes } from "../../domain/webhooks-out/outgoing-event";
import { WorkspaceParamsSchema } from "../workspaces/workspaces.schemas";

const EndpointUrlSchema = z
  .url({ protocol: /^https?$/ })
  .max(2048)
  .openapi({
    description: "https only; http://localhost and http://127.0.0.1 too when the WEBHOOK_ALLOW_LOCAL_HTTP setting is true",
    example: "https://example.com/hooks/flarecast",
  });

const EventTypesSchema = z
  .array(z.enum(outgoingEventTypes))
  .max(outgoingEventTypes.length * 2)
  .openapi({ description: "The event types the endpoint receives; empty: all of them", example: ["email.bounced", "email.complained"] });

export const WebhookEndpointSchema = z
  .object({
    id: z.string(),
    url: z.string(),
    description: z.string().nullable(),
    event_types: z.array(z.string()),
    enabled: z.boolean(),
    previous_secret_expires_at: z
      .string()
      .nullable()
      .openapi({ description: "After a rotation, until when the previous secret also signs (a second signature in webhook-signature)" }),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("WebhookEndpoint");

export const WebhookEndpointWithSecretSchema = WebhookEndpointSchema.extend({
  secret: z.string().openapi({
    description: "The signing secret (`whsec_…`, Standard Webhooks). Shown only in this response: store it now.",
    example: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
  }),
}).openapi("WebhookEndpointWithSecret");

export const CreateWebhookEndpointSchema = z
  .object({
    url: EndpointUrlSchema,
    description: z.string().max(500).nullable().optional(),
    event_types: EventTypesSchema.optional(),
    enabled: z.boolean().optional(),
  })
  .strict()
  .openapi("CreateWebhookEndpoint");

export const UpdateWebhookEndpointSchema = z
  .object({
    url: EndpointUrlSchema,
    description: z.string().max(500).nullable(),
    event_types: EventTypesSchema,
    enabled: z.boolean(),
  })
  .partial()
  .strict()
  .openapi("UpdateWebhookEndpoint");

export const WebhookEndpointParamsSchema = WorkspaceParamsSchema.extend({
  endpoint_id: z.string().openapi({ param: { name: "endpoint_id", in: "path" } }),
});

export const WebhookDeliveryAttemptSchema = z
  .object({
    attempted_at: z.string(),
    status_code: z.number().int().nullable().openapi({ description: "null when no response came (timeout, connection error)" }),
    error: z.string().nullable(),
    duration_ms: z.number().int(),
  })
  .openapi("WebhookDeliveryAttempt");

export const WebhookDeliverySchema = z
  .object({
    id: z.string().openapi({ description: "Also the `webhook-id` header: the receiver's idempotency key" }),
    endpoint_id: z.string(),
    event_type: z.string(),
    payload: z.unknown().openapi({ description: "The body sent: `{type, timestamp, data}`" }),
    status: z.enum(["pending", "succeeded", "failed"]),
    attempts: z.number().int(),
    last_status_code: z.number().int().nullable(),
    last_error: z.string().nullable(),
    next_attempt_at: z.string().nullable(),
    delivered_at: z.string().nullable(),
    created_at: z.string(),
    attempt_log: z.array(WebhookDeliveryAttemptSchema).openapi({ description: "Every attempt, oldest first" }),
  })
  .openapi("WebhookDelivery");

export const toEndpointResponse = (e: EndpointView): z.infer<typeof WebhookEndpointSchema> => ({
  id: e.id,
  url: e.url,
  description: e.description,
  event_types: e.event_types,
  enabled: e.enabled,
  previous_secret_expires_at: e.previous_secret_expires_at,
  created_at: e.created_at,
  updated_at: e.updated_at,
});

export const toDeliveryResponse = (d: WebhookDelivery | DeliveryWithAttempts): z.infer<typeof WebhookDeliverySchema> => ({
  id: d.id,
  endpoint_id: d.endpoint_id,
  event_type: d.event_type,
  payload: d.payload,
  status: d.status,
  attempts: d.attempts,
  last_status_code: d.last_status_code,
  last_error: d.last_error,
  next_attempt_at: d.next_attempt_at,
  delivered_at: d.delivered_at,
  created_at: d.created_at,
  attempt_log: ("attempt_log" in d ? d.attempt_log : []).map((a) => ({
    attempted_at: a.attempted_at,
    status_code: a.status_code,
    error: a.error,
    duration_ms: a.duration_ms,
  })),
});
