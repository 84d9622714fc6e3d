import type { RouteHandler } from "@hono/zod-openapi";
import type { Context } from "hono";
import * as personalData from "../../domain/audience/personal-data";
import * as subscribers from "../../domain/audience/subscribers";
import type { AppBindings } from "../../lib/create-app";
import type * as routes from "./subscribers.routes";
import { toSubscriberResponse } from "./subscribers.schemas";

const respond = async (c: Context<AppBindings>, s: subscribers.SubscriberWithPreferences) =>
  toSubscriberResponse(s, await subscribers.subscriberLinks(c.var.config, c.var.workspace.id, s));

export const listSubscribers: RouteHandler<typeof routes.listSubscribers, AppBindings> = async (c) => {
  const { limit, cursor, ...filter } = c.req.valid("query");
  const page = await subscribers.listSubscribers(c.var.db, c.var.workspace.id, filter, limit, cursor);
  return c.json({ data: await Promise.all(page.data.map((s) => respond(c, s))), next_cursor: page.next_cursor }, 200);
};

export const createSubscriber: RouteHandler<typeof routes.createSubscriber, AppBindings> = async (c) =>
  c.json(await respond(c, await subscribers.createSubscriber(c.var.db, c.var.workspace.id, c.req.valid("json"))), 201);

export const getSubscriber: RouteHandler<typeof routes.getSubscriber, AppBindings> = async (c) =>
  c.json(await respond(c, await subscribers.getSubscriber(c.var.db, c.var.workspace.id, c.req.valid("param").subscriber_id)), 200);

export const updateSubscriber: RouteHandler<typeof routes.updateSubscriber, AppBindings> = async (c) => {
  const updated = await subscribers.updateSubscriber(c.var.db, c.var.workspace.id, c.req.valid("param").subscriber_id, c.req.valid("json"));
  return c.json(await respond(c, updated), 200);
};

export const deleteSubscriber: RouteHandler<typeof routes.deleteSubscriber, AppBindings> = async (c) => {
  const { subscriber_id } = c.req.valid("param");
  if (c.req.valid("query").erase) await personalData.eraseSubscriber(c.var.db, c.var.workspace.id, subscriber_id);
  else await subscribers.deleteSubscriber(c.var.db, c.var.workspace.id, subscriber_id);
  return c.body(null, 204);
};

export const exportSubscriber: RouteHandler<typeof routes.exportSubscriber, AppBindings> = async (c) =>
  c.json(await personalData.exportSubscriberData(c.var.db, c.var.workspace.id, c.req.valid("param").subscriber_id), 200);
