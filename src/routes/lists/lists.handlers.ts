import type { RouteHandler } from "@hono/zod-openapi";
import { upsertSubscribers } from "../../domain/audience/bulk-upsert";
import * as lists from "../../domain/audience/lists";
import type { AppBindings } from "../../lib/create-app";
import type * as routes from "./lists.routes";
import { toListResponse } from "./lists.schemas";

export const listLists: RouteHandler<typeof routes.listLists, AppBindings> = async (c) => {
  const { limit, cursor } = c.req.valid("query");
  const page = await lists.listLists(c.var.db, c.var.workspace.id, limit, cursor);
  return c.json({ data: page.data.map(toListResponse), next_cursor: page.next_cursor }, 200);
};

export const createList: RouteHandler<typeof routes.createList, AppBindings> = async (c) =>
  c.json(toListResponse(await lists.createList(c.var.db, c.var.workspace.id, c.req.valid("json"))), 201);

export const getList: RouteHandler<typeof routes.getList, AppBindings> = async (c) =>
  c.json(toListResponse(await lists.getListWithCount(c.var.db, c.var.workspace.id, c.req.valid("param").list_id)), 200);

export const updateList: RouteHandler<typeof routes.updateList, AppBindings> = async (c) =>
  c.json(toListResponse(await lists.updateList(c.var.db, c.var.workspace.id, c.req.valid("param").list_id, c.req.valid("json"))), 200);

export const deleteList: RouteHandler<typeof routes.deleteList, AppBindings> = async (c) => {
  await lists.deleteList(c.var.db, c.var.workspace.id, c.req.valid("param").list_id);
  return c.body(null, 204);
};

export const addSubscribers: RouteHandler<typeof routes.addSubscribers, AppBindings> = async (c) => {
  const { list_id } = c.req.valid("param");
  await lists.getList(c.var.db, c.var.workspace.id, list_id);
  return c.json(await upsertSubscribers(c.var.db, c.var.workspace.id, list_id, c.req.valid("json").subscribers), 200);
};

export const removeSubscriber: RouteHandler<typeof routes.removeSubscriber, AppBindings> = async (c) => {
  const { list_id, subscriber_id } = c.req.valid("param");
  await lists.removeMembership(c.var.db, c.var.workspace.id, list_id, subscriber_id);
  return c.body(null, 204);
};
