import { createRouter } from "../../lib/create-app";
import * as handlers from "./providers.handlers";
import * as routes from "./providers.routes";

export const providersRouter = createRouter()
  .openapi(routes.listProviders, handlers.listProviders)
  .openapi(routes.createProvider, handlers.createProvider)
  .openapi(routes.getProvider, handlers.getProvider)
  .openapi(routes.updateProvider, handlers.updateProvider)
  .openapi(routes.deleteProvider, handlers.deleteProvider)
  .openapi(routes.testProvider, handlers.testProvider)
  .openapi(routes.listCapturedMessages, handlers.listCapturedMessages)
  .openapi(routes.getCapturedMessage, handlers.getCapturedMessage);
