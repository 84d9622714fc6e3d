import { z } from "@hono/zod-openapi";
import { CreateWarmingScheduleSchema, UpdateWarmingScheduleSchema } from "../../domain/warming/schedules";
import { jsonBody, jsonContent, problemResponses } from "../../lib/openapi";
import { workspaceRoute } from "../route-kinds";
import { WorkspaceParamsSchema } from "../workspaces/workspaces.schemas";
import {
  DomainWarmingParamsSchema,
  IpWarmingParamsSchema,
  PauseWarmingSchema,
  ScheduleParamsSchema,
  StartWarmingSchema,
  WarmingProgressSchema,
  WarmingScheduleSchema,
} from "./warming.schemas";

const tags = ["Warming"];
const infra = "/workspaces/{ws}/email-infrastructure";

export const listSchedules = workspaceRoute({
  method: "get",
  path: `${infra}/warming-schedules`,
  operationId: "listWarmingSchedules",
  summary: "List warming schedules: the three built-in ones and the workspace's own",
  description:
    "conservative: 21 days, 50 on day 1, 1,000 on day 7, 15,000 on day 14, 100,000 on day 21. moderate: 14 days, 100, 7,500 on day 7, 100,000 on day 14. aggressive: 7 days, 200 on day 1, 15,000 on day 4 and 100,000 on day 7 (the spec gives three volumes for a seven-day schedule; the middle one is placed at its midpoint).",
  tags,
  request: { params: WorkspaceParamsSchema },
  responses: {
    200: jsonContent(
      z.object({ data: z.array(WarmingScheduleSchema) }).openapi("WarmingScheduleList"),
      "Every schedule the workspace can use",
    ),
  },
});

export const createSchedule = workspaceRoute({
  method: "post",
  path: `${infra}/warming-schedules`,
  operationId: "createWarmingSchedule",
  summary: "Add a custom warming schedule",
  description:
    "Steps are {day, volume} anchors: days increasing from 1, volumes positive and never decreasing. Days between anchors are interpolated geometrically.",
  tags,
  request: { params: WorkspaceParamsSchema, body: jsonBody(CreateWarmingScheduleSchema) },
  responses: {
    201: jsonContent(WarmingScheduleSchema, "The schedule"),
    ...problemResponses("bad_request", "validation_failed", "conflict"),
  },
});

export const updateSchedule = workspaceRoute({
  method: "patch",
  path: `${infra}/warming-schedules/{schedule_id}`,
  operationId: "updateWarmingSchedule",
  summary: "Change a custom warming schedule",
  description:
    "Name, slug and description may always change; steps may not while a domain or IP is warming (or paused) on the schedule (409). Built-in schedules are read-only (409).",
  tags,
  request: { params: ScheduleParamsSchema, body: jsonBody(UpdateWarmingScheduleSchema) },
  responses: {
    200: jsonContent(WarmingScheduleSchema, "The schedule"),
    ...problemResponses("bad_request", "validation_failed", "conflict"),
  },
});

export const deleteSchedule = workspaceRoute({
  method: "delete",
  path: `${infra}/warming-schedules/{schedule_id}`,
  operationId: "deleteWarmingSchedule",
  summary: "Delete a custom warming schedule",
  description:
    "Refused (409) while a domain or IP is warming (or paused) on it, and for the built-in schedules. Domains and IPs that completed it keep their state but no longer name it.",
  tags,
  request: { params: ScheduleParamsSchema },
  responses: { 204: { description: "Deleted" }, ...problemResponses("conflict") },
});

const warmingActions = <P extends typeof DomainWarmingParamsSchema | typeof IpWarmingParamsSchema>(kind: "domain" | "ip", params: P) => {
  const path = kind === "domain" ? `${infra}/domains/{domain_id}/warming` : `${infra}/dedicated-ips/{ip_id}/warming`;
  const noun = kind === "domain" ? "Domain" : "DedicatedIp";
  const what = kind === "domain" ? "domain" : "dedicated IP";
  return {
    start: workspaceRoute({
      method: "post",
      path: `${path}/start`,
      operationId: `start${noun}Warming`,
      summary: `Start warming a verified ${what} on a schedule`,
      description: `Day 1's volume becomes today's cap, enforced atomically by the ${what}'s DomainThrottle. A paused ${what} is restarted with resume, not start.`,
      tags,
      request: { params, body: jsonBody(StartWarmingSchema) },
      responses: {
        200: jsonContent(WarmingProgressSchema, "Warming progress"),
        ...problemResponses("bad_request", "validation_failed", "conflict"),
      },
    }),
    progress: workspaceRoute({
      method: "get",
      path: `${path}/progress`,
      operationId: `get${noun}WarmingProgress`,
      summary: `The ${what}'s warming day, cap, sends and rates`,
      tags,
      request: { params },
      responses: { 200: jsonContent(WarmingProgressSchema, "Warming progress") },
    }),
    pause: workspaceRoute({
      method: "post",
      path: `${path}/pause`,
      operationId: `pause${noun}Warming`,
      summary: `Pause warming of a ${what} by hand`,
      description:
        "Today's cap drops to 0 and stays there until resume, exactly as an automatic pause; the reason (default: paused by operator) is kept and a warming_paused alert is raised. Pausing a paused warming changes nothing; one that is not warming is a 409. The body is optional.",
      tags,
      request: { params, body: { content: { "application/json": { schema: PauseWarmingSchema } }, required: false } },
      responses: {
        200: jsonContent(WarmingProgressSchema, "Warming progress"),
        ...problemResponses("bad_request", "validation_failed", "conflict"),
      },
    }),
    resume: workspaceRoute({
      method: "post",
      path: `${path}/resume`,
      operationId: `resume${noun}Warming`,
      summary: `Resume a paused ${what}`,
      description:
        "An auto-pause is sticky: it holds until an operator has looked into the cause and resumes here; recovering rates never resume it.",
      tags,
      request: { params },
      responses: { 200: jsonContent(WarmingProgressSchema, "Warming progress"), ...problemResponses("conflict") },
    }),
  };
};

export const domainWarming = warmingActions("domain", DomainWarmingParamsSchema);
export const ipWarming = warmingActions("ip", IpWarmingParamsSchema);
