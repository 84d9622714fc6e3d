import { createRouter } from "../../lib/create-app";
import * as handlers from "./automation-events.handlers";
import * as routes from "./automation-events.routes";

export const automationEventsRouter = createRouter()
  .openapi(routes.ingestEvents, handlers.ingestEvents)
  .openapi(routes.getEvent, handlers.getEvent);
