import { createRouter } from "../../lib/create-app";
import * as handlers from "./onboarding-flows.handlers";
import * as routes from "./onboarding-flows.routes";

export const onboardingFlowsRouter = createRouter()
  .openapi(routes.listOnboardingFlows, handlers.listOnboardingFlows)
  .openapi(routes.createOnboardingFlow, handlers.createOnboardingFlow)
  .openapi(routes.getOnboardingFlow, handlers.getOnboardingFlow)
  .openapi(routes.updateOnboardingFlow, handlers.updateOnboardingFlow)
  .openapi(routes.deleteOnboardingFlow, handlers.deleteOnboardingFlow)
  .openapi(routes.getOnboardingFlowProgress, handlers.getOnboardingFlowProgress);
