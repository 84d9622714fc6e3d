import { createRouter } from "../../lib/router";
import * as handlers from "./jobs.handlers";
import * as routes from "./jobs.routes";

export const jobsRouter = createRouter()
  .openapi(routes.listJobs, handlers.listJobs)
  .openapi(routes.runJob, handlers.runJob);
