import { previewAudience } from "../../domain/audience/audience";
import { createRouter } from "../../lib/create-app";
import { toSubscriberSummary } from "../subscribers/subscribers.schemas";
import * as routes from "./audience.routes";

export const audienceRouter = createRouter().openapi(routes.previewAudience, async (c) => {
  const preview = await previewAudience(c.var.db, c.var.workspace.id, c.req.valid("json"), new Date());
  return c.json({ count: preview.count, active_count: preview.active_count, sample: preview.sample.map(toSubscriberSummary) }, 200);
});
