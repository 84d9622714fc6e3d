import type { RouteHandler } from "@hono/zod-openapi";
import * as rules from "../../domain/automation/rules";
import type { AppBindings } from "../../lib/create-app";
import type * as routes from "./automation-rules.routes";
import { toRuleResponse, toRuleRunResponse } from "./automation-rules.schemas";

export const listRules: RouteHandler<typeof routes.listRules, AppBindings> = async (c) => {
  const { limit, cursor } = c.req.valid("query");
  const page = await rules.listRules(c.var.db, c.var.workspace.id, limit, cursor);
  return c.json({ data: page.data.map(toRuleResponse), next_cursor: page.next_cursor }, 200);
};

export const createRule: RouteHandler<typeof routes.createRule, AppBindings> = async (c) =>
  c.json(toRuleResponse(await rules.createRule(c.var.db, c.var.workspace.id, c.req.valid("json"))), 201);

export const getRule: RouteHandler<typeof routes.getRule, AppBindings> = async (c) =>
  c.json(toRuleResponse(await rules.getRule(c.var.db, c.var.workspace.id, c.req.valid("param").rule_id)), 200);

export const updateRule: RouteHandler<typeof routes.updateRule, AppBindings> = async (c) =>
  c.json(toRuleResponse(await rules.updateRule(c.var.db, c.var.workspace.id, c.req.valid("param").rule_id, c.req.valid("json"))), 200);

export const deleteRule: RouteHandler<typeof routes.deleteRule, AppBindings> = async (c) => {
  await rules.deleteRule(c.var.db, c.var.workspace.id, c.req.valid("param").rule_id);
  return c.body(null, 204);
};

export const listRuleRuns: RouteHandler<typeof routes.listRuleRuns, AppBindings> = async (c) => {
  const { limit, cursor } = c.req.valid("query");
  const page = await rules.listRuleRuns(c.var.db, c.var.workspace.id, c.req.valid("param").rule_id, limit, cursor);
  return c.json({ data: page.data.map(toRuleRunResponse), next_cursor: page.next_cursor }, 200);
};
