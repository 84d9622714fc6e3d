import { createRouter } from "../../lib/create-app";
import * as handlers from "./preferences.handlers";
import * as routes from "./preferences.routes";

/** The public preference center: no API key; the signed token in the path is the only credential. */
export const preferencesRouter = createRouter();
preferencesRouter.use("/preferences/*", handlers.preferenceHeaders);
preferencesRouter
  .openapi(routes.getPreferences, handlers.getPreferences)
  .openapi(routes.updatePreferences, handlers.updatePreferences)
  .openapi(routes.unsubscribeAll, handlers.unsubscribeAll)
  .openapi(routes.resubscribe, handlers.resubscribe);
