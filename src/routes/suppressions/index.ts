import { normalizeEmail } from "../../domain/audience/emails";
import * as suppressions from "../../domain/audience/suppressions";
import { invalidField } from "../../domain/errors";
import { createRouter } from "../../lib/create-app";
import * as routes from "./suppressions.routes";

export const suppressionsRouter = createRouter()
  .openapi(routes.listSuppressions, async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const page = await suppressions.listSuppressions(c.var.db, c.var.workspace.id, limit, cursor);
    return c.json({ data: page.data.map(routes.toSuppressionResponse), next_cursor: page.next_cursor }, 200);
  })
  .openapi(routes.createSuppression, async (c) => {
    const body = c.req.valid("json");
    const email = body.email === undefined ? undefined : normalizeEmail(body.email);
    if (email === null) throw invalidField("body", "email", "must be a valid email address");
    const created = await suppressions.addSuppression(c.var.db, c.var.workspace.id, { ...body, email, reason: "manual" });
    return c.json(routes.toSuppressionResponse(created), 201);
  })
  .openapi(routes.deleteSuppression, async (c) => {
    await suppressions.removeSuppression(c.var.db, c.var.workspace.id, c.req.valid("param").suppression_id);
    return c.body(null, 204);
  });
