import { z } from "@hono/zod-openapi";
import { domainStatuses, warmingStatuses } from "../../db/schema/enums";
import { orNull } from "../../lib/openapi";
import { DedicatedIpParamsSchema } from "../dedicated-ips/dedicated-ips.schemas";
import { DomainParamsSchema } from "../domains/domains.schemas";
import { WorkspaceParamsSchema } from "../workspaces/workspaces.schemas";

const StepSchema = z.object({ day: z.number().int(), volume: z.number().int() });

export const WarmingScheduleSchema = z
  .object({
    id: z.string(),
    slug: z.string().openapi({ example: "conservative" }),
    name: z.string(),
    description: z.string().nullable(),
    is_builtin: z.boolean(),
    steps: z.array(StepSchema).openapi({ description: "The anchors as defined" }),
    duration_days: z.number().int(),
    daily_volumes: z
      .array(z.number().int())
      .openapi({ description: "The cap of every day, day 1 first: anchors exact, days between interpolated geometrically" }),
  })
  .openapi("WarmingSchedule");

export const ScheduleParamsSchema = WorkspaceParamsSchema.extend({
  schedule_id: z
    .string()
    .openapi({ param: { name: "schedule_id", in: "path" }, description: "The schedule's id or slug", example: "slow-and-steady" }),
});

export const StartWarmingSchema = z
  .object({
    schedule: z.string().min(1).openapi({
      description: "A schedule id or slug: conservative, moderate, aggressive or one of the workspace's own",
      example: "moderate",
    }),
  })
  .strict()
  .openapi("StartWarming");

export const PauseWarmingSchema = z
  .object({ reason: z.string().trim().min(1).max(500).optional().openapi({ example: "investigating a complaint spike" }) })
  .strict()
  .openapi("PauseWarming");

const RateWindowSchema = z
  .object({
    sent: z.number().int(),
    delivered: z.number().int(),
    bounced: z.number().int(),
    complained: z.number().int(),
    bounce_rate: z.number().nullable(),
    complaint_rate: z.number().nullable(),
    delivery_rate: z.number().nullable(),
  })
  .openapi({
    description:
      "Rates are over sends and count only outcomes already reported, because an auto-pause is sticky and must not fire on event lag: delivery_rate is the share of sends not reported as bounced (mail still in flight is not counted as lost). Null without sends.",
  });

export const WarmingProgressSchema = z
  .object({
    target_type: z.enum(["domain", "ip"]),
    target_id: z.string(),
    status: z.enum(domainStatuses),
    warming_status: z.enum(warmingStatuses),
    // A union, not .nullable(): a nullable named schema renders as allOf [$ref, {type: [object, null]}], which no
    // null satisfies (the $ref branch still demands an object).
    schedule: orNull(WarmingScheduleSchema).openapi({ description: "Null for a target that never warmed" }),
    warming_day: z.number().int(),
    daily_limit: z.number().int().nullable(),
    daily_sent: z.number().int(),
    started_at: z.string().nullable(),
    paused_at: z.string().nullable(),
    pause_reason: z.string().nullable(),
    date: z.string().openapi({ description: "The workspace-local date that `today` is", example: "2026-11-28" }),
    today: RateWindowSchema,
    window: RateWindowSchema.extend({
      days: z.number().int(),
      minimum_volume: z.number().int().openapi({ description: "Sends the window needs before its rates can pause warming" }),
    }).openapi({ description: "What the hourly threshold check judges: the last `days` local days, today included" }),
    thresholds: z.object({ max_bounce_rate: z.number(), max_complaint_rate: z.number(), min_delivery_rate: z.number() }),
  })
  .openapi("WarmingProgress");

export const DomainWarmingParamsSchema = DomainParamsSchema;
export const IpWarmingParamsSchema = DedicatedIpParamsSchema;
