import { z } from "@hono/zod-openapi";
import type { TestSendResult } from "../../domain/campaigns/test-send";
import { MAX_IDEMPOTENCY_KEY_LENGTH } from "../../domain/campaigns/trigger";
import { orNull } from "../../lib/openapi";
import { templateValues } from "./campaigns.schemas";

/** A few addresses at a time: a test send is for looking at the message, not for sending a campaign by hand. */
export const MAX_TEST_ADDRESSES = 10;

const ContextSchema = templateValues("Template values for this send, over the campaign's template_context", {
  first_name: "Ada",
  order_number: "A-1042",
});

export const TestSendSchema = z
  .object({
    emails: z
      .array(z.email().max(254))
      .min(1)
      .max(MAX_TEST_ADDRESSES)
      .openapi({ example: ["qa@example.com"] }),
    context: ContextSchema.optional(),
  })
  .strict()
  .openapi("CampaignTestSend");

export const TestSendResultSchema = z
  .object({
    email: z.string(),
    status: z.enum(["sent", "failed"]),
    provider_id: orNull(z.string()),
    sending_domain_id: orNull(z.string()),
    sending_identity_id: orNull(z.string()),
    provider_message_id: orNull(z.string()),
    reason: orNull(z.string()).openapi({ description: "Why it was not sent: the router's reasons or the provider's answer" }),
  })
  .openapi("CampaignTestSendResult");

export const TestSendResultsSchema = z.object({ data: z.array(TestSendResultSchema) }).openapi("CampaignTestSendResults");

export const toTestSendResponse = (results: TestSendResult[]) => ({ data: results });

export const TriggerSchema = z
  .object({
    subscriber_id: z.string().min(1).max(100).optional(),
    email: z.email().max(320).optional().openapi({ description: "A new address becomes a subscriber of the workspace (in no list)" }),
    name: z.string().max(200).nullable().optional(),
    context: ContextSchema.optional(),
  })
  .strict()
  .superRefine((value, ctx) => {
    if ((value.subscriber_id === undefined) === (value.email === undefined)) {
      ctx.addIssue({ code: "custom", path: ["subscriber_id"], message: "give exactly one of subscriber_id and email" });
    }
  })
  .openapi("CampaignTrigger");

export const IdempotencyHeadersSchema = z.object({
  "idempotency-key": z.string().min(1).max(MAX_IDEMPOTENCY_KEY_LENGTH).optional().openapi({
    description: "A repeat of a request with the same key returns the first request's recipient and sends nothing",
    example: "order-A-1042-confirmation",
  }),
});
