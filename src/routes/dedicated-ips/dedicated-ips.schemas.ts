import { z } from "@hono/zod-openapi";
import type { DedicatedIp } from "../../db/schema";
import { domainStatuses } from "../../db/schema/enums";
import { blocklistCheckOf, sendingIpProblem, summarizeBlocklists } from "../../domain/dedicated-ips/ip-checks";
import { warmingStateOf, warmingStateShape } from "../warming/warming-state.schemas";
import { WorkspaceParamsSchema } from "../workspaces/workspaces.schemas";

export const BlacklistCheckSchema = z
  .object({
    zone: z.string(),
    status: z.enum(["listed", "not_listed", "unknown"]).openapi({
      description:
        "unknown when the zone could not be asked or would not answer (resolver error, timeout, refusal): it is no evidence either way",
    }),
    listed: z.boolean().nullable().openapi({ description: "null when unknown" }),
    checked_at: z.string(),
    detail: z.string().optional().openapi({ description: "The listing codes, or why the zone could not be checked" }),
  })
  .openapi("BlocklistCheck");

const BlocklistSummarySchema = z.enum(["listed", "clean", "unknown"]).openapi({
  description:
    "listed if any zone lists the IP; clean only when every zone answered that it does not; unknown otherwise (some zone could not be checked, or none has been)",
});

export const DedicatedIpSchema = z
  .object({
    id: z.string().openapi({ example: "dip_01JD8Z6W3B2C4D5E6F7G8H9J0K" }),
    ip_address: z.string().openapi({ example: "203.0.113.25" }),
    hostname: z.string().nullable().openapi({ description: "The name its PTR record must give", example: "mta1.mail.example.com" }),
    status: z.enum(domainStatuses),
    ptr_verified: z.boolean(),
    blacklist_status: z.array(BlacklistCheckSchema),
    blocklist_summary: BlocklistSummarySchema,
    last_check_at: z.string().nullable(),
    ...warmingStateShape,
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("DedicatedIp");

const HOSTNAME = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

export const CreateDedicatedIpSchema = z
  .object({
    ip_address: z
      .string()
      .max(100)
      .superRefine((ip, ctx) => {
        const problem = sendingIpProblem(ip);
        if (problem) ctx.addIssue({ code: "custom", message: problem });
      })
      .openapi({
        description: "A public IPv4 or IPv6 address; stored in its canonical form (RFC 5952 for IPv6), so one address is one IP",
        example: "203.0.113.25",
      }),
    hostname: z.string().trim().toLowerCase().regex(HOSTNAME, "must be a host name such as mta1.example.com").nullable().optional(),
  })
  .strict()
  .openapi("CreateDedicatedIp");

export const UpdateDedicatedIpSchema = z
  .object({
    hostname: z
      .string()
      .trim()
      .toLowerCase()
      .regex(HOSTNAME, "must be a host name such as mta1.example.com")
      .nullable()
      .openapi({ description: "A new hostname voids the PTR check: an IP not yet sending goes back to pending until checked again" }),
  })
  .partial()
  .strict()
  .openapi("UpdateDedicatedIp", { description: "The address cannot change: add another IP instead" });

export const DedicatedIpCheckSchema = z
  .object({
    ptr: z.object({ verified: z.boolean(), ptr: z.array(z.string()), reason: z.string().nullable() }),
    listed_on: z.array(z.string()).openapi({ description: "Blocklist zones that list the IP" }),
    unknown_on: z.array(z.string()).openapi({ description: "Blocklist zones that could not be checked; their detail says why" }),
    blocklist_summary: BlocklistSummarySchema,
    ip: DedicatedIpSchema,
  })
  .openapi("DedicatedIpCheck");

export const DedicatedIpParamsSchema = WorkspaceParamsSchema.extend({
  ip_id: z.string().openapi({ param: { name: "ip_id", in: "path" } }),
});

export const toDedicatedIpResponse = (i: DedicatedIp): z.infer<typeof DedicatedIpSchema> => {
  const checks = i.blacklist_status.map(blocklistCheckOf);
  return {
    id: i.id,
    ip_address: i.ip_address,
    hostname: i.hostname,
    status: i.status,
    ptr_verified: i.ptr_verified,
    blacklist_status: checks,
    blocklist_summary: summarizeBlocklists(checks),
    last_check_at: i.last_check_at,
    ...warmingStateOf(i),
    created_at: i.created_at,
    updated_at: i.updated_at,
  };
};
