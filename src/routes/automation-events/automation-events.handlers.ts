import type { RouteHandler } from "@hono/zod-openapi";
import { ingestEvents as ingest, getEvent as readEvent } from "../../domain/automation/events";
import type { AppBindings } from "../../lib/create-app";
import type * as routes from "./automation-events.routes";
import { toStoredEventResponse } from "./automation-events.schemas";

export const ingestEvents: RouteHandler<typeof routes.ingestEvents, AppBindings> = async (c) => {
  const body = c.req.valid("json");
  const ids = await ingest(c.env.AUTOMATION_QUEUE, c.var.workspace.id, "events" in body ? body.events : [body], new Date());
  return c.json({ accepted: ids.length, ids }, 202);
};

export const getEvent: RouteHandler<typeof routes.getEvent, AppBindings> = async (c) =>
  c.json(toStoredEventResponse(await readEvent(c.var.db, c.var.workspace.id, c.req.valid("param").event_id)), 200);
