import { createRouter } from "../../lib/create-app";
import * as handlers from "./onboarding.handlers";
import * as routes from "./onboarding.routes";

export const onboardingRouter = createRouter()
  .openapi(routes.enrollInFlow, handlers.enrollInFlow)
  .openapi(routes.listSubscriberOnboarding, handlers.listSubscriberOnboarding)
  .openapi(routes.getOnboardingProgress, handlers.getOnboardingProgress)
  .openapi(routes.cancelOnboardingProgress, handlers.cancelOnboardingProgress);
