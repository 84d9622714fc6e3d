import { createRouter } from "../../lib/create-app";
import * as handlers from "./visual-builder.handlers";
import * as routes from "./visual-builder.routes";

export const visualBuilderRouter = createRouter()
  .openapi(routes.listBlocks, handlers.listBlocks)
  .openapi(routes.createBlock, handlers.createBlock)
  .openapi(routes.listDesigns, handlers.listDesigns)
  .openapi(routes.createDesign, handlers.createDesign)
  .openapi(routes.getDesign, handlers.getDesign)
  .openapi(routes.updateDesign, handlers.updateDesign)
  .openapi(routes.deleteDesign, handlers.deleteDesign)
  .openapi(routes.renderDesign, handlers.renderDesign)
  .openapi(routes.convertToTemplate, handlers.convertToTemplate)
  .openapi(routes.templateToDesign, handlers.templateToDesign);
