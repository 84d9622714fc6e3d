import { createRouter } from "../../lib/create-app";
import * as handlers from "./analytics.handlers";
import * as routes from "./analytics.routes";

export const analyticsRouter = createRouter()
  .openapi(routes.getCampaignStats, handlers.getCampaignStats)
  .openapi(routes.getCampaignTimeline, handlers.getCampaignTimeline)
  .openapi(routes.getCampaignLinks, handlers.getCampaignLinks)
  .openapi(routes.getCampaignDevices, handlers.getCampaignDevices)
  .openapi(routes.getOverview, handlers.getOverview)
  .openapi(routes.getSubscriberActivity, handlers.getSubscriberActivity);
