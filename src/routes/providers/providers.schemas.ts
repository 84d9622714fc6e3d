import { z } from "@hono/zod-openapi";
import { providerCheckStatuses, providerTypes } from "../../db/schema/enums";
import type { CapturedMessageDetail, CapturedMessageSummary } from "../../domain/provider-accounts/captured-messages";
import type { ProviderView } from "../../domain/provider-accounts/providers";
import { orNull } from "../../lib/openapi";
import { PaginationQuerySchema } from "../../lib/pagination";
import { providerCredentialSchemas } from "../../provider-clients/credentials";
import { WorkspaceParamsSchema } from "../workspaces/workspaces.schemas";

const HttpUrlSchema = z.url({ protocol: /^https?$/ });

const ProviderSettingsInputSchema = z
  .object({
    webhook_signing_key: z.string().min(1).max(8192).nullable().optional().openapi({
      description:
        "Secret that verifies inbound events: Mailgun's HTTP webhook signing key, SendGrid's Event Webhook public key, or the basic-auth secret configured on Postmark's webhook. Stored encrypted, never returned.",
    }),
    sandbox_mode: z.boolean().optional().openapi({ description: "Ask the provider to accept but not deliver (where it supports that)" }),
    tracking_enabled: z.boolean().optional().openapi({ description: "Let the provider add its own open/click tracking" }),
    base_url: orNull(HttpUrlSchema).optional().openapi({
      description: "Replaces the provider's API origin, e.g. a regional endpoint or a local stand-in",
      example: "https://api.eu.mailgun.net",
    }),
  })
  .strict();

const limits = {
  max_sends_per_second: z.number().int().positive().nullable().optional().openapi({ example: 14 }),
  max_sends_per_day: z.number().int().positive().nullable().optional().openapi({ example: 50_000 }),
  priority: z.number().int().min(0).max(10_000).optional().openapi({ description: "Lower is preferred", example: 10 }),
  is_default: z.boolean().optional(),
};

const providerVariant = <T extends (typeof providerTypes)[number]>(type: T) =>
  z
    .object({
      name: z.string().trim().min(1).max(200).openapi({ example: "SES us-east-1" }),
      provider_type: z.literal(type),
      credentials: providerCredentialSchemas[type],
      settings: ProviderSettingsInputSchema.optional(),
      ...limits,
    })
    .strict();

export const CreateProviderSchema = z
  .discriminatedUnion("provider_type", [
    providerVariant("ses"),
    providerVariant("sendgrid"),
    providerVariant("mailgun"),
    providerVariant("postmark"),
    providerVariant("smtp"),
    providerVariant("capture"),
  ])
  .openapi("CreateEmailProvider", {
    description: "Credentials are validated for the provider_type, encrypted at rest and never returned.",
  });

export const UpdateProviderSchema = z
  .object({
    name: z.string().trim().min(1).max(200),
    credentials: z.record(z.string(), z.unknown()).openapi({
      description: "Merged into the stored credentials and validated for the provider's type: send only the keys that change",
    }),
    settings: ProviderSettingsInputSchema,
    ...limits,
  })
  .partial()
  .strict()
  .openapi("UpdateEmailProvider");

export const ProviderSchema = z
  .object({
    id: z.string().openapi({ example: "prv_01JD8Z6W3B2C4D5E6F7G8H9J0K" }),
    name: z.string(),
    provider_type: z.enum(providerTypes),
    credentials_set: z.record(z.string(), z.boolean()).openapi({
      description: "Which credential keys are stored; their values are never returned",
      example: { access_key_id: true, secret_access_key: true, region: true },
    }),
    settings: z.object({
      webhook_signing_key_set: z.boolean(),
      sandbox_mode: z.boolean().optional(),
      tracking_enabled: z.boolean().optional(),
      base_url: z.string().optional(),
    }),
    max_sends_per_second: z.number().int().nullable(),
    max_sends_per_day: z.number().int().nullable(),
    current_daily_sends: z.number().int(),
    daily_sends_reset_at: z.string().nullable(),
    priority: z.number().int(),
    is_default: z.boolean(),
    last_check_at: z.string().nullable(),
    last_check_status: z.enum(providerCheckStatuses).nullable(),
    last_error: z.string().nullable(),
    webhook_url: z.string().nullable().openapi({
      description:
        "Where the provider's event webhook will post (null for providers that send no events: smtp, capture). Configure it at the provider as docs/provider-webhooks.md describes.",
    }),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("EmailProvider");

export const ProviderTestResultSchema = z
  .object({
    ok: z.boolean(),
    detail: z.string().openapi({ example: "credentials accepted; sending enabled, production access" }),
    checked_at: z.string(),
    provider: ProviderSchema,
  })
  .openapi("EmailProviderTestResult");

export const ProviderParamsSchema = WorkspaceParamsSchema.extend({
  provider_id: z.string().openapi({ param: { name: "provider_id", in: "path" } }),
});

const WEBHOOK_TYPES = new Set(["ses", "sendgrid", "mailgun", "postmark"]);

export const toProviderResponse = (p: ProviderView, publicBaseUrl: string): z.infer<typeof ProviderSchema> => ({
  id: p.id,
  name: p.name,
  provider_type: p.provider_type,
  credentials_set: p.credentials_set,
  settings: p.settings,
  max_sends_per_second: p.max_sends_per_second,
  max_sends_per_day: p.max_sends_per_day,
  current_daily_sends: p.current_daily_sends,
  daily_sends_reset_at: p.daily_sends_reset_at,
  priority: p.priority,
  is_default: p.is_default,
  last_check_at: p.last_check_at,
  last_check_status: p.last_check_status,
  last_error: p.last_error,
  webhook_url: WEBHOOK_TYPES.has(p.provider_type) ? new URL(`/webhooks/email/${p.provider_type}/${p.id}`, publicBaseUrl).toString() : null,
  created_at: p.created_at,
  updated_at: p.updated_at,
});

export const CapturedMessageParamsSchema = ProviderParamsSchema.extend({
  message_id: z
    .string()
    .max(998)
    .openapi({
      param: { name: "message_id", in: "path" },
      description: "The captured message's id, or its Message-ID (the provider message id its recipient records), URL-encoded",
      example: "cmsg_01JD8Z6W3B2C4D5E6F7G8H9J0K",
    }),
});

export const CapturedMessagesQuerySchema = PaginationQuerySchema.extend({
  to: z
    .string()
    .trim()
    .min(1)
    .max(320)
    .optional()
    .openapi({ param: { name: "to", in: "query" }, description: "Only messages to this address (case-insensitive)" }),
  campaign_id: z
    .string()
    .min(1)
    .max(100)
    .optional()
    .openapi({ param: { name: "campaign_id", in: "query" }, description: "Only messages of this campaign" }),
});

export const CapturedMessageSummarySchema = z
  .object({
    id: z.string().openapi({ example: "cmsg_01JD8Z6W3B2C4D5E6F7G8H9J0K" }),
    provider_id: z.string(),
    message_id: z.string().openapi({ description: "The Message-ID, without angle brackets", example: "0c5a…@news.example.com" }),
    campaign_id: z.string().nullable(),
    recipient_id: z.string().nullable(),
    from_email: z.string(),
    to_email: z.string(),
    subject: z.string(),
    size_bytes: z.number().int(),
    created_at: z.string(),
  })
  .openapi("CapturedMessageSummary");

const MailAddressSchema = z.object({ email: z.string(), name: z.string().nullable() }).openapi("MailAddress");

export const CapturedMessageSchema = CapturedMessageSummarySchema.extend({
  raw: z.string().openapi({ description: "The whole message as it would have been sent (RFC 5322, CRLF line ends)" }),
  parsed: z.object({
    headers: z.array(z.object({ name: z.string(), value: z.string() })).openapi({ description: "Every header, in order" }),
    subject: z.string().nullable(),
    from: MailAddressSchema.nullable(),
    to: z.array(MailAddressSchema),
    date: z.string().nullable(),
    text: z.string().nullable(),
    html: z.string().nullable(),
  }),
}).openapi("CapturedMessage");

export const toCapturedMessageSummary = (m: CapturedMessageSummary): z.infer<typeof CapturedMessageSummarySchema> => ({
  id: m.id,
  provider_id: m.provider_id,
  message_id: m.message_id,
  campaign_id: m.campaign_id,
  recipient_id: m.recipient_id,
  from_email: m.from_email,
  to_email: m.to_email,
  subject: m.subject,
  size_bytes: m.size_bytes,
  created_at: m.created_at,
});

export const toCapturedMessage = (m: CapturedMessageDetail): z.infer<typeof CapturedMessageSchema> => ({
  ...toCapturedMessageSummary(m),
  raw: m.raw,
  parsed: m.parsed,
});
