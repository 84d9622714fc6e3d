import { OpenAPIHono } from "@hono/zod-openapi";
import type { Database } from "../db/client";
import type { ApiKey, Workspace } from "../db/schema";
import type { Config } from "../env";
import { validationHook } from "./validation-hook";

export interface AppBindings {
  Bindings: Env;
  Variables: {
    config: Config;
    db: Database;
    workspace: Workspace;
    apiKey: ApiKey;
  };
}

export const createRouter = () => new OpenAPIHono<AppBindings>({ strict: false, defaultHook: validationHook });
