import { OpenAPIHono } from "@hono/zod-openapi";
import type { Database } from "../db/client";
import type { ApiKey, Workspace } from "../db/schema";
import type { Config } from "../env";
import { validationHook } from "./validation-hook";

/** What every handler and middleware sees on its context: the Worker's bindings and what middleware set. */
export interface AppBindings {
  Bindings: Env;
  Variables: {
    config: Config;
    db: Database;
    workspace: Workspace;
    apiKey: ApiKey;
  };
}

/**
 * The one way to make an OpenAPIHono app: each area's router (src/routes/<area>/index.ts) and the root app in
 * src/app.ts, so all of them share the bindings and turn validation failures into the same 422 problem.
 */
export const createRouter = () => new OpenAPIHono<AppBindings>({ strict: false, defaultHook: validationHook });
