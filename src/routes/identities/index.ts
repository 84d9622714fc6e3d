import { createRouter } from "../../lib/create-app";
import * as handlers from "./identities.handlers";
import * as routes from "./identities.routes";

export const identitiesRouter = createRouter()
  .openapi(routes.listIdentities, handlers.listIdentities)
  .openapi(routes.createIdentity, handlers.createIdentity)
  .openapi(routes.getIdentity, handlers.getIdentity)
  .openapi(routes.updateIdentity, handlers.updateIdentity)
  .openapi(routes.deleteIdentity, handlers.deleteIdentity);
