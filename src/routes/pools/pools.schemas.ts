import { z } from "@hono/zod-openapi";
import { routingStrategies } from "../../db/schema/enums";
import type { PoolWithMembers } from "../../domain/pools/pools";
import { WorkspaceParamsSchema } from "../workspaces/workspaces.schemas";

export const RoutingConfigSchema = z
  .object({
    strategy: z.enum(routingStrategies).openapi({ description: "How the pool picks among equally good members" }),
    preferred_providers: z
      .array(z.string().min(1))
      .max(20)
      .optional()
      .openapi({
        description: "Provider types or ids of the workspace's providers to try first, in order; anything else is a 422",
        example: ["ses", "prv_01JD8Z6W3B2C4D5E6F7G8H9J0K"],
      }),
    fallback_enabled: z.boolean().default(true).openapi({ description: "Switch to the next provider when one fails" }),
  })
  .strict()
  .openapi("RoutingConfig");

const PoolMemberInputSchema = z
  .object({
    domain_id: z.string().min(1).optional(),
    dedicated_ip_id: z.string().min(1).optional(),
    weight: z.number().int().min(1).max(1000).optional().openapi({ description: "Share of sends under the weighted strategy" }),
    priority: z.number().int().min(0).max(10_000).optional().openapi({ description: "Lower is tried first under the priority strategy" }),
  })
  .strict()
  .refine((m) => (m.domain_id === undefined) !== (m.dedicated_ip_id === undefined), "name exactly one of domain_id and dedicated_ip_id");

export const CreatePoolSchema = z
  .object({
    name: z.string().trim().min(1).max(200).openapi({ example: "Marketing" }),
    description: z.string().max(1000).nullable().optional(),
    routing_config: RoutingConfigSchema,
    members: z.array(PoolMemberInputSchema).max(50).default([]),
    is_default: z.boolean().optional(),
  })
  .strict()
  .openapi("CreateSendingPool");

export const UpdatePoolSchema = z
  .object({
    name: z.string().trim().min(1).max(200),
    description: z.string().max(1000).nullable(),
    routing_config: RoutingConfigSchema,
    members: z.array(PoolMemberInputSchema).max(50).openapi({ description: "Replaces the whole member list" }),
    is_default: z.boolean(),
  })
  .partial()
  .strict()
  .openapi("UpdateSendingPool");

export const PoolMemberSchema = z
  .object({
    id: z.string(),
    member_type: z.enum(["domain", "ip"]),
    domain_id: z.string().nullable(),
    dedicated_ip_id: z.string().nullable(),
    weight: z.number().int(),
    priority: z.number().int(),
  })
  .openapi("SendingPoolMember");

export const PoolSchema = z
  .object({
    id: z.string().openapi({ example: "pool_01JD8Z6W3B2C4D5E6F7G8H9J0K" }),
    name: z.string(),
    description: z.string().nullable(),
    routing_config: z.object({
      strategy: z.enum(routingStrategies),
      preferred_providers: z.array(z.string()).optional(),
      fallback_enabled: z.boolean().optional(),
    }),
    members: z.array(PoolMemberSchema),
    is_default: z.boolean(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("SendingPool");

export const PoolParamsSchema = WorkspaceParamsSchema.extend({
  pool_id: z.string().openapi({ param: { name: "pool_id", in: "path" } }),
});

export const toPoolResponse = (p: PoolWithMembers): z.infer<typeof PoolSchema> => ({
  id: p.id,
  name: p.name,
  description: p.description,
  routing_config: p.routing_config,
  members: p.members.map((m) => ({
    id: m.id,
    member_type: m.member_type,
    domain_id: m.domain_id,
    dedicated_ip_id: m.dedicated_ip_id,
    weight: m.weight,
    priority: m.priority,
  })),
  is_default: p.is_default,
  created_at: p.created_at,
  updated_at: p.updated_at,
});

export const RouteRequestSchema = z
  .object({
    recipient_email: z.email().openapi({ example: "ada@gmail.com" }),
    sending_identity_id: z
      .string()
      .nullable()
      .optional()
      .openapi({ description: "Pin the from address, as a campaign can: an identity of the workspace (else 422)" }),
    preferred_providers: z
      .array(z.string().min(1))
      .max(20)
      .optional()
      .openapi({ description: "Overrides the pool's preferred_providers: provider types or the workspace's provider ids (else 422)" }),
    sequence: z.number().int().min(0).optional().openapi({ description: "The recipient's ordinal in a send; drives round robin" }),
    exclude_provider_ids: z
      .array(z.string())
      .max(20)
      .optional()
      .openapi({ description: "Providers that already failed for this recipient" }),
  })
  .strict()
  .openapi("RouteRequest");

const RouteChoiceSchema = z.object({ domain_id: z.string(), identity_id: z.string(), provider_id: z.string() });

export const RoutingDecisionSchema = z
  .object({
    ok: z.boolean().openapi({ description: "False when nothing in the pool can send; reasons say why" }),
    domain_id: z.string().nullable(),
    identity_id: z.string().nullable(),
    provider_id: z.string().nullable(),
    ip_id: z.string().nullable(),
    isp: z.string().nullable().openapi({ example: "gmail" }),
    reasons: z.array(z.string()).openapi({ description: "Why this route, in the order the router weighed things" }),
    fallbacks: z
      .array(RouteChoiceSchema)
      .openapi({ description: "Next routes, in order, if the provider fails (empty when fallback is off)" }),
  })
  .openapi("RoutingDecision");
