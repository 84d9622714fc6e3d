import { createRouter } from "../../lib/create-app";
import * as handlers from "./domains.handlers";
import * as routes from "./domains.routes";

export const domainsRouter = createRouter()
  .openapi(routes.listDomains, handlers.listDomains)
  .openapi(routes.createDomain, handlers.createDomain)
  .openapi(routes.getDomain, handlers.getDomain)
  .openapi(routes.updateDomain, handlers.updateDomain)
  .openapi(routes.deleteDomain, handlers.deleteDomain)
  .openapi(routes.verifyDomain, handlers.verifyDomain)
  .openapi(routes.getDomainHealth, handlers.getDomainHealth)
  .openapi(routes.liftMarketingPause, handlers.liftMarketingPause);
