import { createRoute } from "@hono/zod-openapi";
import { jsonContent, problemResponses } from "../../lib/openapi";
import { ProviderWebhookParamsSchema, ProviderWebhookReceiptSchema } from "./provider-webhooks.schemas";

export const receiveProviderWebhook = createRoute({
  method: "post",
  path: "/webhooks/email/{provider_type}/{provider_id}",
  operationId: "receiveProviderWebhook",
  summary: "A sending provider's event webhook (the provider's webhook_url)",
  description:
    "Called by the provider, not by API clients: no API key, the provider's own authentication instead (SES: SNS " +
    "message signature; SendGrid: signed Event Webhook; Mailgun: HMAC signature, fresh and not replayed; Postmark: " +
    "Basic credentials or the X-Flarecast-Webhook-Secret header). The body is the provider's own format, at most " +
    "1 MiB (SNS posts it as text/plain). Verified events are queued for processing; nothing is stored when " +
    "verification fails. See docs/provider-webhooks.md.",
  tags: ["Provider webhooks"],
  security: [],
  request: { params: ProviderWebhookParamsSchema },
  responses: {
    200: jsonContent(ProviderWebhookReceiptSchema, "Verified; the events are queued"),
    ...problemResponses("bad_request", "unauthorized", "not_found", "content_too_large", "unavailable"),
  },
});
