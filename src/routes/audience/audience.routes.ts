import { z } from "@hono/zod-openapi";
import { AudienceFilterSchema } from "../../domain/audience/segments";
import { jsonBody, jsonContent, orNull, problemResponses } from "../../lib/openapi";
import { workspaceRoute } from "../route-kinds";
import { SubscriberSummarySchema } from "../subscribers/subscribers.schemas";
import { WorkspaceParamsSchema } from "../workspaces/workspaces.schemas";

export const AudiencePreviewRequestSchema = z
  .object({
    list_id: z.string().nullable().optional().openapi({ description: "Only members of this list" }),
    audience_filters: orNull(AudienceFilterSchema).optional(),
  })
  .strict()
  .openapi("AudiencePreviewRequest");

export const AudiencePreviewSchema = z
  .object({
    count: z.number().int().openapi({ description: "Subscribers matching the list and filters" }),
    active_count: z.number().int().openapi({ description: "Of them, those with status active" }),
    sample: z.array(SubscriberSummarySchema).openapi({ description: "The first five matches" }),
  })
  .openapi("AudiencePreview");

export const previewAudience = workspaceRoute({
  method: "post",
  path: "/workspaces/{ws}/email-marketing/audience/preview",
  operationId: "previewAudience",
  summary: "Count and sample the subscribers a list and filter select",
  tags: ["Audience"],
  request: { params: WorkspaceParamsSchema, body: jsonBody(AudiencePreviewRequestSchema) },
  responses: {
    200: jsonContent(AudiencePreviewSchema, "The audience's size and a sample"),
    ...problemResponses("bad_request", "validation_failed"),
  },
});
