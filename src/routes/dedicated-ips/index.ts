import { createRouter } from "../../lib/create-app";
import * as handlers from "./dedicated-ips.handlers";
import * as routes from "./dedicated-ips.routes";

export const dedicatedIpsRouter = createRouter()
  .openapi(routes.listDedicatedIps, handlers.listDedicatedIps)
  .openapi(routes.createDedicatedIp, handlers.createDedicatedIp)
  .openapi(routes.getDedicatedIp, handlers.getDedicatedIp)
  .openapi(routes.updateDedicatedIp, handlers.updateDedicatedIp)
  .openapi(routes.deleteDedicatedIp, handlers.deleteDedicatedIp)
  .openapi(routes.checkDedicatedIp, handlers.checkDedicatedIp);
