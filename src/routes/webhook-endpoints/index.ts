import { createRouter } from "../../lib/create-app";
import * as handlers from "./webhook-endpoints.handlers";
import * as routes from "./webhook-endpoints.routes";

export const webhookEndpointsRouter = createRouter()
  .openapi(routes.listWebhookEndpoints, handlers.listWebhookEndpoints)
  .openapi(routes.createWebhookEndpoint, handlers.createWebhookEndpoint)
  .openapi(routes.getWebhookEndpoint, handlers.getWebhookEndpoint)
  .openapi(routes.updateWebhookEndpoint, handlers.updateWebhookEndpoint)
  .openapi(routes.deleteWebhookEndpoint, handlers.deleteWebhookEndpoint)
  .openapi(routes.rotateWebhookEndpointSecret, handlers.rotateWebhookEndpointSecret)
  .openapi(routes.listWebhookDeliveries, handlers.listWebhookDeliveries)
  .openapi(routes.testWebhookEndpoint, handlers.testWebhookEndpoint);
