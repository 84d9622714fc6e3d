import { createRouter } from "../../lib/create-app";
import * as handlers from "./automation-rules.handlers";
import * as routes from "./automation-rules.routes";

export const automationRulesRouter = createRouter()
  .openapi(routes.listRules, handlers.listRules)
  .openapi(routes.createRule, handlers.createRule)
  .openapi(routes.getRule, handlers.getRule)
  .openapi(routes.updateRule, handlers.updateRule)
  .openapi(routes.deleteRule, handlers.deleteRule)
  .openapi(routes.listRuleRuns, handlers.listRuleRuns);
