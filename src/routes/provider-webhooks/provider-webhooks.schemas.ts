import { z } from "@hono/zod-openapi";

export const ProviderWebhookParamsSchema = z.object({
  provider_type: z.string().openapi({
    param: { name: "provider_type", in: "path" },
    description: "ses, sendgrid, mailgun or postmark: must be the provider's type",
    example: "sendgrid",
  }),
  provider_id: z.string().openapi({ param: { name: "provider_id", in: "path" }, example: "prv_01J9Z8Q4W2K3N5P7R9T1V3X5Z7" }),
});

export const ProviderWebhookReceiptSchema = z
  .object({
    received: z.number().int().openapi({ description: "Events accepted and queued for processing" }),
    ignored: z.number().int().openapi({ description: "Event kinds Flarecast does not track (logged)" }),
  })
  .openapi("ProviderWebhookReceipt");
