import { createRouter } from "../../lib/create-app";
import * as handlers from "./lists.handlers";
import * as routes from "./lists.routes";

export const listsRouter = createRouter()
  .openapi(routes.listLists, handlers.listLists)
  .openapi(routes.createList, handlers.createList)
  .openapi(routes.getList, handlers.getList)
  .openapi(routes.updateList, handlers.updateList)
  .openapi(routes.deleteList, handlers.deleteList)
  .openapi(routes.addSubscribers, handlers.addSubscribers)
  .openapi(routes.removeSubscriber, handlers.removeSubscriber);
