import { createRouter } from "../../lib/create-app";
import * as handlers from "./pools.handlers";
import * as routes from "./pools.routes";

export const poolsRouter = createRouter()
  .openapi(routes.listPools, handlers.listPools)
  .openapi(routes.createPool, handlers.createPool)
  .openapi(routes.getPool, handlers.getPool)
  .openapi(routes.updatePool, handlers.updatePool)
  .openapi(routes.deletePool, handlers.deletePool)
  .openapi(routes.routeThroughPool, handlers.routeThroughPool);
