import { createRouter } from "../../lib/create-app";
import * as handlers from "./tracking.handlers";
import * as routes from "./tracking.routes";

/** Open pixel and tracked links: public, answered at the edge without the database. */
export const trackingRouter = createRouter();
// Documented from its route, served without its validator: the router reads `:pixel.gif` as one parameter named
// "pixel.gif", so the handler takes the token from the path itself. Any token gets the GIF, so nothing is refused.
trackingRouter.openAPIRegistry.registerPath(routes.openPixel);
trackingRouter.get("/t/p/:pixel.gif", handlers.openPixel);
trackingRouter.openapi(routes.clickLink, handlers.clickLink);
