import type { RouteHandler } from "@hono/zod-openapi";
import type { DeliveryDeps } from "../../domain/campaigns/deliver";
import { sendQueueEnqueuer } from "../../domain/campaigns/send-message";
import { sendTestEmails } from "../../domain/campaigns/test-send";
import { triggerSend } from "../../domain/campaigns/trigger";
import type { AppBindings } from "../../lib/create-app";
import type * as routes from "./campaign-sends.routes";
import { toTestSendResponse } from "./campaign-sends.schemas";
import { toRecipientResponse } from "./campaigns.schemas";

const deliveryDeps = (c: { env: Env; var: AppBindings["Variables"] }): DeliveryDeps => ({
  db: c.var.db,
  env: c.env,
  urls: c.var.config,
  encryptionKey: c.var.config.ENCRYPTION_KEY,
});

export const testCampaign: RouteHandler<typeof routes.testCampaign, AppBindings> = async (c) => {
  const results = await sendTestEmails(
    deliveryDeps(c),
    c.var.workspace.id,
    c.req.valid("param").campaign_id,
    c.req.valid("json"),
    new Date(),
  );
  return c.json(toTestSendResponse(results), 200);
};

export const triggerCampaign: RouteHandler<typeof routes.triggerCampaign, AppBindings> = async (c) => {
  const { recipient, replayed } = await triggerSend(
    {
      ...deliveryDeps(c),
      enqueueSends: sendQueueEnqueuer(c.env.SEND_QUEUE),
    },
    c.var.workspace.id,
    c.req.valid("param").campaign_id,
    c.req.valid("json"),
    c.req.valid("header")["idempotency-key"] ?? null,
    new Date(),
  );
  c.header("Idempotent-Replayed", String(replayed));
  return replayed ? c.json(toRecipientResponse(recipient), 200) : c.json(toRecipientResponse(recipient), 201);
};
