import { createRouter } from "../../lib/create-app";
import * as handlers from "./warming.handlers";
import * as routes from "./warming.routes";

export const warmingRouter = createRouter()
  .openapi(routes.listSchedules, handlers.listSchedules)
  .openapi(routes.createSchedule, handlers.createSchedule)
  .openapi(routes.updateSchedule, handlers.updateSchedule)
  .openapi(routes.deleteSchedule, handlers.deleteSchedule)
  .openapi(routes.domainWarming.start, handlers.startDomainWarming)
  .openapi(routes.domainWarming.progress, handlers.domainWarmingProgress)
  .openapi(routes.domainWarming.pause, handlers.pauseDomainWarming)
  .openapi(routes.domainWarming.resume, handlers.resumeDomainWarming)
  .openapi(routes.ipWarming.start, handlers.startIpWarming)
  .openapi(routes.ipWarming.progress, handlers.ipWarmingProgress)
  .openapi(routes.ipWarming.pause, handlers.pauseIpWarming)
  .openapi(routes.ipWarming.resume, handlers.resumeIpWarming);
