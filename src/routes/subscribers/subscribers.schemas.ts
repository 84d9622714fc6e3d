import { z } from "@hono/zod-openapi";
import type { Subscriber } from "../../db/schema";
import { subscriberStatuses, subscriptionFrequencies, unsubscribeSources } from "../../db/schema/enums";
import type { SubscriberLinks, SubscriberWithPreferences } from "../../domain/audience/subscribers";
import { WorkspaceParamsSchema } from "../workspaces/workspaces.schemas";

const attributes = z
  .record(z.string().max(100), z.unknown())
  .refine((a) => JSON.stringify(a).length <= 16_384, "attributes may hold at most 16 KB of JSON")
  .openapi({ description: "Free-form personalization data, available to templates", example: { plan: "pro", company: "Acme" } });

const preferences = z.record(z.string(), z.boolean()).openapi({
  description: "Subscribed (true) or opted out (false), by category slug",
  example: { marketing: false, product_updates: true },
});

export const SubscriberSchema = z
  .object({
    id: z.string().openapi({ example: "sub_01JD8Z6W3B2C4D5E6F7G8H9J0K" }),
    email: z.string(),
    name: z.string().nullable(),
    status: z.enum(subscriberStatuses),
    attributes: z.record(z.string(), z.unknown()),
    frequency: z.enum(subscriptionFrequencies),
    preferences,
    unsubscribed_at: z.string().nullable(),
    unsubscribe_source: z.enum(unsubscribeSources).nullable(),
    created_at: z.string(),
    updated_at: z.string(),
    preferences_url: z.string().openapi({
      description: "The subscriber's preference page (`GET /preferences/{token}`), for an email's footer; a GET changes nothing",
      example: "https://flarecast.example.com/preferences/AZk3...",
    }),
    unsubscribe_url: z.string().openapi({
      description:
        "RFC 8058 one-click unsubscribe (`POST /preferences/{token}/unsubscribe`), for `List-Unsubscribe` with " +
        "`List-Unsubscribe-Post: List-Unsubscribe=One-Click`",
      example: "https://flarecast.example.com/preferences/AZk3.../unsubscribe",
    }),
  })
  .openapi("Subscriber");

export const SubscriberParamsSchema = WorkspaceParamsSchema.extend({
  subscriber_id: z.string().openapi({ param: { name: "subscriber_id", in: "path" } }),
});

export const SubscriberListQuerySchema = z.object({
  email: z
    .string()
    .max(254)
    .optional()
    .openapi({ param: { name: "email", in: "query" } }),
  status: z
    .enum(subscriberStatuses)
    .optional()
    .openapi({ param: { name: "status", in: "query" } }),
  list_id: z
    .string()
    .optional()
    .openapi({ param: { name: "list_id", in: "query" }, description: "Only members of this list; 404 if the workspace has no such list" }),
});

export const DeleteSubscriberQuerySchema = z.object({
  erase: z
    .enum(["true", "false"])
    .default("false")
    .transform((v) => v === "true")
    .openapi({ param: { name: "erase", in: "query" }, type: "boolean", description: "Erase personal data everywhere (GDPR)" }),
});

const row = z.record(z.string(), z.unknown());

export const SubscriberExportSchema = z
  .object({
    exported_at: z.string(),
    subscriber: row,
    lists: z.array(z.object({ id: z.string(), name: z.string(), joined_at: z.string() })),
    subscription_changes: z.array(row),
    sends: z.array(row),
    events: z.array(row),
    suppressions: z.array(row),
  })
  .openapi("SubscriberExport");

const email = z.string().max(320).openapi({ description: "Trimmed and lowercased", example: "ada@example.com" });

export const CreateSubscriberSchema = z
  .object({
    email,
    name: z.string().trim().max(200).nullable().optional(),
    attributes: attributes.optional(),
    frequency: z.enum(subscriptionFrequencies).optional(),
    preferences: preferences.optional(),
    list_ids: z
      .array(z.string().max(100))
      .max(100)
      .optional()
      .openapi({ description: "Lists to add the subscriber to; leave out to create a subscriber in no list" }),
  })
  .strict()
  .openapi("CreateSubscriber");

export const UpdateSubscriberSchema = z
  .object({
    email: email.openapi({
      description: "A new address, trimmed and lowercased; 409 if another subscriber has it or it is suppressed",
    }),
    name: z.string().trim().max(200).nullable(),
    attributes,
    status: z.enum(["active", "unsubscribed"]).openapi({ description: "Unsubscribe, or resubscribe an unsubscribed address" }),
    frequency: z.enum(subscriptionFrequencies),
    preferences,
  })
  .partial()
  .strict()
  .openapi("UpdateSubscriber");

export const BulkSubscribersSchema = z
  .object({
    subscribers: z
      .array(
        z
          .object({
            email: z.string().max(320),
            name: z.string().trim().max(200).nullable().optional(),
            attributes: attributes.optional(),
            preferences: preferences.optional(),
          })
          .strict(),
      )
      .min(1)
      .max(1000),
  })
  .strict()
  .openapi("BulkSubscribers");

const RowReportSchema = z
  .object({
    index: z.number().int().openapi({ description: "The row's position in `subscribers`, from 0" }),
    email: z.string().nullable(),
    reason: z.string().openapi({ description: "A code, then a colon and details when there are any", example: "invalid_email" }),
  })
  .openapi("BulkSubscriberRowReport");

export const BulkOutcomeSchema = z
  .object({
    created: z.number().int(),
    updated: z.number().int(),
    skipped: z.number().int().openapi({
      description:
        "Rows skipped on purpose, listed in `skipped_rows`: repeats of an address earlier in the request (`duplicate`), suppressed or erased addresses",
    }),
    invalid: z.number().int().openapi({ description: "Rows that could not be read, listed in `errors` (invalid_email)" }),
    errors: z.array(RowReportSchema).openapi({ description: "The invalid rows" }),
    skipped_rows: z.array(RowReportSchema).openapi({ description: "The skipped rows, with why (duplicate, suppressed, erased)" }),
    warnings: z.array(RowReportSchema).openapi({
      description:
        "Rows that were created or updated with something left out, such as a preference for a category that does not exist (unknown_category)",
    }),
  })
  .openapi({ description: "Every row is counted once: created + updated + skipped + invalid equals the rows sent" })
  .openapi("BulkSubscribersOutcome");

export const SubscriberSummarySchema = SubscriberSchema.omit({ preferences: true, preferences_url: true, unsubscribe_url: true }).openapi(
  "SubscriberSummary",
);

export const toSubscriberSummary = (s: Subscriber): z.infer<typeof SubscriberSummarySchema> => ({
  id: s.id,
  email: s.email,
  name: s.name,
  status: s.status,
  attributes: s.attributes,
  frequency: s.frequency,
  unsubscribed_at: s.unsubscribed_at,
  unsubscribe_source: s.unsubscribe_source,
  created_at: s.created_at,
  updated_at: s.updated_at,
});

export const toSubscriberResponse = (s: SubscriberWithPreferences, links: SubscriberLinks): z.infer<typeof SubscriberSchema> => ({
  ...toSubscriberSummary(s),
  preferences: s.preferences,
  preferences_url: links.preferences_url,
  unsubscribe_url: links.unsubscribe_url,
});
