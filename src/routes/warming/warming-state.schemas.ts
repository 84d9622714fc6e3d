import { z } from "@hono/zod-openapi";
import type { SendingDomain } from "../../db/schema";
import { healthStatuses, warmingStatuses } from "../../db/schema/enums";

type WarmingStateColumns = Pick<
  SendingDomain,
  | "warming_status"
  | "warming_schedule_id"
  | "warming_started_at"
  | "warming_day"
  | "daily_limit"
  | "daily_sent"
  | "daily_reset_at"
  | "health_score"
  | "health_status"
>;

/** The warming, daily-cap and health fields that sending domains and dedicated IPs share. */
export const warmingStateShape = {
  warming_status: z.enum(warmingStatuses),
  warming_schedule_id: z.string().nullable(),
  warming_started_at: z.string().nullable(),
  warming_day: z.number().int(),
  daily_limit: z.number().int().nullable().openapi({ description: "Today's cap while warming; null when uncapped" }),
  daily_sent: z.number().int(),
  daily_reset_at: z.string().nullable(),
  health_score: z.number().nullable(),
  health_status: z.enum(healthStatuses).nullable(),
};

export const warmingStateOf = (row: WarmingStateColumns): WarmingStateColumns => ({
  warming_status: row.warming_status,
  warming_schedule_id: row.warming_schedule_id,
  warming_started_at: row.warming_started_at,
  warming_day: row.warming_day,
  daily_limit: row.daily_limit,
  daily_sent: row.daily_sent,
  daily_reset_at: row.daily_reset_at,
  health_score: row.health_score,
  health_status: row.health_status,
});
