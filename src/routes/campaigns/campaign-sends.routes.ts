import { z } from "@hono/zod-openapi";
import { jsonBody, jsonContent, problemResponses } from "../../lib/openapi";
import { workspaceRoute } from "../route-kinds";
import { IdempotencyHeadersSchema, TestSendResultsSchema, TestSendSchema, TriggerSchema } from "./campaign-sends.schemas";
import { campaignPath, tags } from "./campaigns.routes";
import { CampaignParamsSchema, RecipientSchema } from "./campaigns.schemas";

export const testCampaign = workspaceRoute({
  method: "post",
  path: `${campaignPath}/test`,
  operationId: "sendCampaignTest",
  summary: "Send a test of the campaign to a few addresses",
  description:
    "Renders the campaign's current template with sample recipient values under `context`, marks the subject `[Test] `, and sends it through the route its recipients would take. Test addresses are not recipients and are not counted. Each address gets its own result.",
  tags,
  request: { params: CampaignParamsSchema, body: jsonBody(TestSendSchema) },
  responses: { 200: jsonContent(TestSendResultsSchema, "One result per address"), ...problemResponses("conflict") },
});

const replayedHeader = z.object({
  "Idempotent-Replayed": z
    .string()
    .openapi({ description: "`true` when an earlier request with the same Idempotency-Key made this recipient" }),
});

export const triggerCampaign = workspaceRoute({
  method: "post",
  path: `${campaignPath}/trigger`,
  operationId: "triggerCampaign",
  summary: "Send a triggered campaign's message to one person now",
  description:
    "The transactional send API: records one recipient (a new email address becomes a subscriber) and sends at once. Suppression, category opt-outs and frequency apply: a skipped recipient is returned `failed` with its reason. A send that must be retried is retried in the background. With an `Idempotency-Key`, a repeat returns the first result (200) and sends nothing; the same key with another body is a 422.",
  tags,
  request: { params: CampaignParamsSchema, headers: IdempotencyHeadersSchema, body: jsonBody(TriggerSchema) },
  responses: {
    201: { ...jsonContent(RecipientSchema, "The recipient this request made"), headers: replayedHeader },
    200: {
      ...jsonContent(RecipientSchema, "The recipient an earlier request with the same Idempotency-Key made"),
      headers: replayedHeader,
    },
    ...problemResponses("conflict"),
  },
});
