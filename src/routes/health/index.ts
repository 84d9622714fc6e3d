import { sql } from "drizzle-orm";
import { createRouter } from "../../lib/create-app";
import { health } from "./health.routes";

export const healthRouter = createRouter().openapi(health, async (c) => {
  const time = new Date().toISOString();
  try {
    await c.var.db.run(sql`select 1`);
    return c.json({ status: "ok" as const, database: "ok" as const, time }, 200);
  } catch (err) {
    console.error("health check: D1 unreachable", err);
    return c.json({ status: "degraded" as const, database: "unreachable" as const, time }, 503);
  }
});
