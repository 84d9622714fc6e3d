import { z } from "@hono/zod-openapi";
import { subscriberStatuses, subscriptionFrequencies } from "../../db/schema/enums";
import type { PreferenceState } from "../../domain/preferences/preferences";

export const PreferenceTokenParamsSchema = z.object({
  token: z.string().openapi({
    param: { name: "token", in: "path" },
    description: "The signed, encrypted preference token from the email's links; it is the only credential",
    example: "AQp2sX8c…",
  }),
});

export const PreferencesSchema = z
  .object({
    workspace_name: z.string().openapi({ example: "Acme Newsletters" }),
    email: z.string().openapi({ description: "The subscriber's address, partly masked", example: "j•••e@example.com" }),
    status: z.enum(subscriberStatuses),
    frequency: z.enum(subscriptionFrequencies),
    categories: z.array(
      z.object({
        slug: z.string().openapi({ example: "product_updates" }),
        name: z.string().openapi({ example: "Product updates" }),
        description: z.string().nullable(),
        subscribed: z.boolean(),
      }),
    ),
  })
  .openapi("Preferences");

export const UpdatePreferencesJsonSchema = z
  .object({
    categories: z
      .record(z.string(), z.boolean())
      .optional()
      .openapi({
        description: "Subscribed (true) or opted out (false), by category slug; others are left as they are",
        example: { marketing: false },
      }),
    frequency: z.enum(subscriptionFrequencies).optional(),
  })
  .strict()
  .openapi("UpdatePreferences");

const slugs = z.union([z.string(), z.array(z.string())]).optional();

export const UpdatePreferencesFormSchema = z
  .object({
    category: slugs.openapi({ description: "A checked category's slug; repeated once per checked box" }),
    shown: slugs.openapi({
      description:
        "A slug the form showed; repeated. Shown categories that are not checked are opted out, categories not shown are left as they are",
    }),
    frequency: z.enum(subscriptionFrequencies).optional(),
  })
  .openapi("UpdatePreferencesForm");

export type UpdatePreferencesForm = z.infer<typeof UpdatePreferencesFormSchema>;

export const OneClickFormSchema = z
  .object({
    "List-Unsubscribe": z
      .string()
      .optional()
      .openapi({ description: "`One-Click` in an RFC 8058 one-click request; a form without it (the page's button) also unsubscribes" }),
  })
  .openapi("UnsubscribeForm");

export const EmptyJsonSchema = z.object({}).openapi("UnsubscribeJson");

export const toPreferencesResponse = (s: PreferenceState): z.infer<typeof PreferencesSchema> => ({
  workspace_name: s.workspace_name,
  email: s.email,
  status: s.status,
  frequency: s.frequency,
  categories: s.categories,
});

export const asList = (value: string | string[] | undefined): string[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];
