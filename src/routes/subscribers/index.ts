import { createRouter } from "../../lib/create-app";
import * as handlers from "./subscribers.handlers";
import * as routes from "./subscribers.routes";

export const subscribersRouter = createRouter()
  .openapi(routes.listSubscribers, handlers.listSubscribers)
  .openapi(routes.createSubscriber, handlers.createSubscriber)
  .openapi(routes.getSubscriber, handlers.getSubscriber)
  .openapi(routes.updateSubscriber, handlers.updateSubscriber)
  .openapi(routes.deleteSubscriber, handlers.deleteSubscriber)
  .openapi(routes.exportSubscriber, handlers.exportSubscriber);
