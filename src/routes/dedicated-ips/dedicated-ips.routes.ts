import { jsonBody, jsonContent, problemResponses } from "../../lib/openapi";
import { PaginationQuerySchema, pageSchema } from "../../lib/pagination";
import { workspaceRoute } from "../route-kinds";
import { WorkspaceParamsSchema } from "../workspaces/workspaces.schemas";
import {
  CreateDedicatedIpSchema,
  DedicatedIpCheckSchema,
  DedicatedIpParamsSchema,
  DedicatedIpSchema,
  UpdateDedicatedIpSchema,
} from "./dedicated-ips.schemas";

const tags = ["Dedicated IPs"];
const base = "/workspaces/{ws}/email-infrastructure/dedicated-ips";

export const listDedicatedIps = workspaceRoute({
  method: "get",
  path: base,
  operationId: "listDedicatedIps",
  summary: "List dedicated IPs",
  tags,
  request: { params: WorkspaceParamsSchema, query: PaginationQuerySchema },
  responses: {
    200: jsonContent(pageSchema(DedicatedIpSchema).openapi("DedicatedIpPage"), "A page of IPs, oldest first"),
    ...problemResponses("validation_failed"),
  },
});

export const createDedicatedIp = workspaceRoute({
  method: "post",
  path: base,
  operationId: "createDedicatedIp",
  summary: "Add a dedicated IP",
  tags,
  request: { params: WorkspaceParamsSchema, body: jsonBody(CreateDedicatedIpSchema) },
  responses: { 201: jsonContent(DedicatedIpSchema, "The IP"), ...problemResponses("bad_request", "validation_failed", "conflict") },
});

export const getDedicatedIp = workspaceRoute({
  method: "get",
  path: `${base}/{ip_id}`,
  operationId: "getDedicatedIp",
  summary: "Get a dedicated IP",
  tags,
  request: { params: DedicatedIpParamsSchema },
  responses: { 200: jsonContent(DedicatedIpSchema, "The IP") },
});

export const updateDedicatedIp = workspaceRoute({
  method: "patch",
  path: `${base}/{ip_id}`,
  operationId: "updateDedicatedIp",
  summary: "Change a dedicated IP's hostname",
  tags,
  request: { params: DedicatedIpParamsSchema, body: jsonBody(UpdateDedicatedIpSchema) },
  responses: { 200: jsonContent(DedicatedIpSchema, "The IP"), ...problemResponses("bad_request", "validation_failed") },
});

export const deleteDedicatedIp = workspaceRoute({
  method: "delete",
  path: `${base}/{ip_id}`,
  operationId: "deleteDedicatedIp",
  summary: "Remove a dedicated IP and its warming history",
  description: "Refused (409) while a pool lists the IP: take it out of the pool first.",
  tags,
  request: { params: DedicatedIpParamsSchema },
  responses: { 204: { description: "Deleted" }, ...problemResponses("conflict") },
});

export const checkDedicatedIp = workspaceRoute({
  method: "post",
  path: `${base}/{ip_id}/check`,
  operationId: "checkDedicatedIp",
  summary: "Check the IP's reverse DNS and blocklist listings",
  description:
    "The PTR record must name the IP's hostname and that name must resolve back to the IP (forward-confirmed reverse DNS). Each zone of DNSBL_ZONES is queried with the reversed IP; the results are stored in blacklist_status.",
  tags,
  request: { params: DedicatedIpParamsSchema },
  responses: { 200: jsonContent(DedicatedIpCheckSchema, "The checks") },
});
