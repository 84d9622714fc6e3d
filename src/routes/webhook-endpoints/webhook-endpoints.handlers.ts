import type { RouteHandler } from "@hono/zod-openapi";
import * as endpoints from "../../domain/webhooks-out/endpoints";
import type { AppBindings } from "../../lib/create-app";
import type * as routes from "./webhook-endpoints.routes";
import { toDeliveryResponse, toEndpointResponse } from "./webhook-endpoints.schemas";

const secrets = (c: { var: AppBindings["Variables"] }): endpoints.WebhookSecretsContext => ({
  encryptionKey: c.var.config.ENCRYPTION_KEY,
  allowLocalHttp: c.var.config.WEBHOOK_ALLOW_LOCAL_HTTP,
});

export const listWebhookEndpoints: RouteHandler<typeof routes.listWebhookEndpoints, AppBindings> = async (c) => {
  const { limit, cursor } = c.req.valid("query");
  const page = await endpoints.listEndpoints(c.var.db, c.var.workspace.id, limit, cursor);
  return c.json({ data: page.data.map(toEndpointResponse), next_cursor: page.next_cursor }, 200);
};

export const createWebhookEndpoint: RouteHandler<typeof routes.createWebhookEndpoint, AppBindings> = async (c) => {
  const { endpoint, secret } = await endpoints.createEndpoint(c.var.db, secrets(c), c.var.workspace.id, c.req.valid("json"));
  return c.json({ ...toEndpointResponse(endpoint), secret }, 201);
};

export const getWebhookEndpoint: RouteHandler<typeof routes.getWebhookEndpoint, AppBindings> = async (c) =>
  c.json(toEndpointResponse(await endpoints.getEndpoint(c.var.db, c.var.workspace.id, c.req.valid("param").endpoint_id)), 200);

export const updateWebhookEndpoint: RouteHandler<typeof routes.updateWebhookEndpoint, AppBindings> = async (c) => {
  const updated = await endpoints.updateEndpoint(
    c.var.db,
    secrets(c),
    c.var.workspace.id,
    c.req.valid("param").endpoint_id,
    c.req.valid("json"),
  );
  return c.json(toEndpointResponse(updated), 200);
};

export const deleteWebhookEndpoint: RouteHandler<typeof routes.deleteWebhookEndpoint, AppBindings> = async (c) => {
  await endpoints.deleteEndpoint(c.var.db, c.var.workspace.id, c.req.valid("param").endpoint_id);
  return c.body(null, 204);
};

export const rotateWebhookEndpointSecret: RouteHandler<typeof routes.rotateWebhookEndpointSecret, AppBindings> = async (c) => {
  const { endpoint, secret } = await endpoints.rotateEndpointSecret(
    c.var.db,
    secrets(c),
    c.var.workspace.id,
    c.req.valid("param").endpoint_id,
  );
  return c.json({ ...toEndpointResponse(endpoint), secret }, 200);
};

export const listWebhookDeliveries: RouteHandler<typeof routes.listWebhookDeliveries, AppBindings> = async (c) => {
  const { limit, cursor } = c.req.valid("query");
  const page = await endpoints.listDeliveries(c.var.db, c.var.workspace.id, c.req.valid("param").endpoint_id, limit, cursor);
  return c.json({ data: page.data.map(toDeliveryResponse), next_cursor: page.next_cursor }, 200);
};

export const testWebhookEndpoint: RouteHandler<typeof routes.testWebhookEndpoint, AppBindings> = async (c) => {
  const delivery = await endpoints.sendTestEvent(c.var.db, c.env.WEBHOOK_QUEUE, c.var.workspace.id, c.req.valid("param").endpoint_id);
  return c.json(toDeliveryResponse(delivery), 202);
};
