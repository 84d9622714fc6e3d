import { createRoute, z } from "@hono/zod-openapi";
import { jsonContent } from "../../lib/openapi";

export const HealthSchema = z
  .object({
    status: z.enum(["ok", "degraded"]),
    database: z.enum(["ok", "unreachable"]),
    time: z.string(),
  })
  .openapi("Health");

export const health = createRoute({
  method: "get",
  path: "/health",
  operationId: "getHealth",
  summary: "Liveness and database reachability",
  tags: ["Health"],
  security: [],
  responses: {
    200: jsonContent(HealthSchema, "The Worker is up and D1 answers"),
    503: jsonContent(HealthSchema, "The Worker is up but D1 does not answer"),
  },
});
