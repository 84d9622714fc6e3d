import { z } from "@hono/zod-openapi";
import type { Suppression } from "../../db/schema";
import { suppressionReasons } from "../../db/schema/enums";
import { normalizeDomain } from "../../domain/domains/dns-records";
import { jsonBody, jsonContent, problemResponses } from "../../lib/openapi";
import { PaginationQuerySchema, pageSchema } from "../../lib/pagination";
import { workspaceRoute } from "../route-kinds";
import { WorkspaceParamsSchema } from "../workspaces/workspaces.schemas";

export const SuppressionSchema = z
  .object({
    id: z.string(),
    email: z.string().nullable().openapi({ description: "Null for a domain suppression and for an erased address (kept as a hash)" }),
    domain: z.string().nullable(),
    reason: z.enum(suppressionReasons),
    note: z.string().nullable(),
    source_campaign_id: z.string().nullable(),
    created_at: z.string(),
  })
  .openapi("Suppression");

export const CreateSuppressionSchema = z
  .object({
    email: z.string().max(320).optional(),
    domain: z
      .string()
      .regex(/^(?=.{1,254}$)(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]{2,63}\.?$/, "must be a domain such as example.com")
      .transform(normalizeDomain)
      .optional()
      .openapi({ description: "Case and a trailing dot do not matter, as for sending domains", example: "example.com" }),
    note: z.string().max(500).nullable().optional(),
  })
  .strict()
  .refine((s) => (s.email === undefined) !== (s.domain === undefined), { message: "give either email or domain", path: ["email"] })
  .openapi("CreateSuppression");

export const SuppressionParamsSchema = WorkspaceParamsSchema.extend({
  suppression_id: z.string().openapi({ param: { name: "suppression_id", in: "path" } }),
});

export const toSuppressionResponse = (s: Suppression): z.infer<typeof SuppressionSchema> => ({
  id: s.id,
  email: s.email,
  domain: s.domain,
  reason: s.reason,
  note: s.note,
  source_campaign_id: s.source_campaign_id,
  created_at: s.created_at,
});

const tags = ["Suppressions"];
const base = "/workspaces/{ws}/email-marketing/suppressions";

export const listSuppressions = workspaceRoute({
  method: "get",
  path: base,
  operationId: "listSuppressions",
  summary: "List the workspace's blocklist, newest first",
  tags,
  request: { params: WorkspaceParamsSchema, query: PaginationQuerySchema },
  responses: {
    200: jsonContent(pageSchema(SuppressionSchema).openapi("SuppressionPage"), "A page of suppressions"),
    ...problemResponses("validation_failed"),
  },
});

export const createSuppression = workspaceRoute({
  method: "post",
  path: base,
  operationId: "createSuppression",
  summary: "Block an address or a whole domain from every send of this workspace",
  tags,
  request: { params: WorkspaceParamsSchema, body: jsonBody(CreateSuppressionSchema) },
  responses: {
    201: jsonContent(SuppressionSchema, "The suppression"),
    ...problemResponses("bad_request", "conflict", "validation_failed"),
  },
});

export const deleteSuppression = workspaceRoute({
  method: "delete",
  path: `${base}/{suppression_id}`,
  operationId: "deleteSuppression",
  summary: "Lift a suppression (erasures cannot be lifted)",
  tags,
  request: { params: SuppressionParamsSchema },
  responses: { 204: { description: "Lifted" }, ...problemResponses("conflict") },
});
