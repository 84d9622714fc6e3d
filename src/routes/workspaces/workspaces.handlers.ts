import type { RouteHandler } from "@hono/zod-openapi";
import * as workspaces from "../../domain/tenancy/workspaces";
import type { AppBindings } from "../../lib/create-app";
import { toApiKeyResponse } from "../api-keys/api-keys.schemas";
import type * as routes from "./workspaces.routes";
import { toWorkspaceResponse } from "./workspaces.schemas";

export const createWorkspace: RouteHandler<typeof routes.createWorkspace, AppBindings> = async (c) => {
  const { workspace, apiKey } = await workspaces.createWorkspace(c.var.db, c.req.valid("json"));
  return c.json({ ...toWorkspaceResponse(workspace), api_key: { ...toApiKeyResponse(apiKey.record), key: apiKey.key } }, 201);
};

export const listWorkspaces: RouteHandler<typeof routes.listWorkspaces, AppBindings> = async (c) => {
  const { limit, cursor } = c.req.valid("query");
  const page = await workspaces.listWorkspaces(c.var.db, limit, cursor);
  return c.json({ data: page.data.map(toWorkspaceResponse), next_cursor: page.next_cursor }, 200);
};

export const getWorkspace: RouteHandler<typeof routes.getWorkspace, AppBindings> = async (c) =>
  c.json(toWorkspaceResponse(c.var.workspace), 200);

export const updateWorkspace: RouteHandler<typeof routes.updateWorkspace, AppBindings> = async (c) => {
  const updated = await workspaces.updateWorkspace(c.var.db, c.var.workspace.id, c.req.valid("json"));
  return c.json(toWorkspaceResponse(updated), 200);
};
