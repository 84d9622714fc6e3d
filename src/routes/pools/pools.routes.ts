import { jsonBody, jsonContent, problemResponses } from "../../lib/openapi";
import { PaginationQuerySchema, pageSchema } from "../../lib/pagination";
import { workspaceRoute } from "../route-kinds";
import { WorkspaceParamsSchema } from "../workspaces/workspaces.schemas";
import {
  CreatePoolSchema,
  PoolParamsSchema,
  PoolSchema,
  RouteRequestSchema,
  RoutingDecisionSchema,
  UpdatePoolSchema,
} from "./pools.schemas";

const tags = ["Sending pools"];
const base = "/workspaces/{ws}/email-infrastructure/pools";

export const listPools = workspaceRoute({
  method: "get",
  path: base,
  operationId: "listSendingPools",
  summary: "List sending pools",
  tags,
  request: { params: WorkspaceParamsSchema, query: PaginationQuerySchema },
  responses: {
    200: jsonContent(pageSchema(PoolSchema).openapi("SendingPoolPage"), "A page of pools, oldest first"),
    ...problemResponses("validation_failed"),
  },
});

export const createPool = workspaceRoute({
  method: "post",
  path: base,
  operationId: "createSendingPool",
  summary: "Group domains and IPs into a sending lane",
  description: "Campaigns route through a pool; its routing_config says how the router picks among its members and providers.",
  tags,
  request: { params: WorkspaceParamsSchema, body: jsonBody(CreatePoolSchema) },
  responses: { 201: jsonContent(PoolSchema, "The pool"), ...problemResponses("bad_request", "validation_failed", "conflict") },
});

export const getPool = workspaceRoute({
  method: "get",
  path: `${base}/{pool_id}`,
  operationId: "getSendingPool",
  summary: "Get a pool and its members",
  tags,
  request: { params: PoolParamsSchema },
  responses: { 200: jsonContent(PoolSchema, "The pool") },
});

export const updatePool = workspaceRoute({
  method: "patch",
  path: `${base}/{pool_id}`,
  operationId: "updateSendingPool",
  summary: "Rename a pool, change its routing or replace its members",
  description: "Members and preferred providers are checked as on create (422 with the path); `members` replaces the whole list.",
  tags,
  request: { params: PoolParamsSchema, body: jsonBody(UpdatePoolSchema) },
  responses: { 200: jsonContent(PoolSchema, "The pool"), ...problemResponses("bad_request", "validation_failed", "conflict") },
});

export const deletePool = workspaceRoute({
  method: "delete",
  path: `${base}/{pool_id}`,
  operationId: "deleteSendingPool",
  summary: "Remove a pool (its domains and IPs stay)",
  description: "Refused (409) while a campaign that may still send (draft, scheduled, sending, paused) routes through it.",
  tags,
  request: { params: PoolParamsSchema },
  responses: { 204: { description: "Deleted" }, ...problemResponses("conflict") },
});

export const routeThroughPool = workspaceRoute({
  method: "post",
  path: `${base}/{pool_id}/route`,
  operationId: "routeThroughSendingPool",
  summary: "Show which domain, identity and provider the pool would use for a recipient, and why",
  description:
    "The same decision a send makes, without sending or consuming any cap: sendable members (verified, active or warming, not paused, with room under today's warming cap), health (under 80 only when nothing better can send), the recipient ISP's affinity, the pool's strategy, provider health and limits, and failover order.",
  tags,
  request: { params: PoolParamsSchema, body: jsonBody(RouteRequestSchema) },
  responses: {
    200: jsonContent(RoutingDecisionSchema, "The decision and its reasons"),
    ...problemResponses("bad_request", "validation_failed"),
  },
});
