import { createRouter } from "../../lib/create-app";
import * as sendHandlers from "./campaign-sends.handlers";
import * as sendRoutes from "./campaign-sends.routes";
import * as handlers from "./campaigns.handlers";
import * as routes from "./campaigns.routes";

export const campaignsRouter = createRouter()
  .openapi(routes.listCampaigns, handlers.listCampaigns)
  .openapi(routes.createCampaign, handlers.createCampaign)
  .openapi(routes.getCampaign, handlers.getCampaign)
  .openapi(routes.updateCampaign, handlers.updateCampaign)
  .openapi(routes.deleteCampaign, handlers.deleteCampaign)
  .openapi(routes.scheduleCampaign, handlers.scheduleCampaign)
  .openapi(routes.sendCampaign, handlers.sendCampaign)
  .openapi(routes.pauseCampaign, handlers.pauseCampaign)
  .openapi(routes.resumeCampaign, handlers.resumeCampaign)
  .openapi(routes.cancelCampaign, handlers.cancelCampaign)
  .openapi(routes.listRecipients, handlers.listRecipients)
  .openapi(routes.getRecipient, handlers.getRecipient)
  .openapi(routes.listRuns, handlers.listRuns)
  .openapi(routes.getRun, handlers.getRun)
  .openapi(sendRoutes.testCampaign, sendHandlers.testCampaign)
  .openapi(sendRoutes.triggerCampaign, sendHandlers.triggerCampaign);
