import { z } from "@hono/zod-openapi";
import type { SendingDomain } from "../../db/schema";
import { domainStatuses, healthStatuses } from "../../db/schema/enums";
import { normalizeDomain } from "../../domain/domains/dns-records";
import { sendingHost } from "../../domain/domains/sending-domains";
import { orNull } from "../../lib/openapi";
import { warmingStateOf, warmingStateShape } from "../warming/warming-state.schemas";
import { WorkspaceParamsSchema } from "../workspaces/workspaces.schemas";

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;
const isDomainName = (value: string) => {
  const labels = value.split(".");
  return value.length <= 253 && labels.length >= 2 && labels.every((l) => LABEL.test(l)) && /^[a-z]{2,63}$/i.test(labels.at(-1) ?? "");
};

export const DnsRecordSchema = z
  .object({
    type: z.enum(["TXT", "CNAME", "MX"]),
    name: z.string().openapi({ example: "fc202611._domainkey.mail.example.com" }),
    value: z.string().openapi({ description: "Ready to paste; long TXT values are split into quoted strings of at most 255 characters" }),
  })
  .openapi("DnsRecord");

export const RecordCheckSchema = z
  .object({
    record: z.enum(["spf", "dkim", "dmarc", "return_path"]),
    status: z.enum(["pass", "fail", "missing", "error"]),
    expected: z.string(),
    found: z.array(z.string()),
    reason: z.string().nullable(),
  })
  .openapi("DnsRecordCheck");

export const DomainSchema = z
  .object({
    id: z.string().openapi({ example: "dom_01JD8Z6W3B2C4D5E6F7G8H9J0K" }),
    domain: z.string().openapi({ example: "example.com" }),
    subdomain: z.string().nullable().openapi({ example: "mail" }),
    sending_host: z.string().openapi({ description: "The host mail is sent from", example: "mail.example.com" }),
    status: z.enum(domainStatuses),
    dns_records: z.object({ spf: DnsRecordSchema, dkim: DnsRecordSchema, dmarc: DnsRecordSchema, return_path: DnsRecordSchema }),
    dkim_selector: z.string(),
    verification: z
      .object({ status: z.enum(["verified", "failed", "verifying"]), checks: z.array(RecordCheckSchema), checked_at: z.string() })
      .nullable()
      .openapi({ description: "The last DNS check, record by record" }),
    verified_at: z.string().nullable(),
    ...warmingStateShape,
    marketing_paused_at: z.string().nullable().openapi({
      description:
        "Set when the domain's complaint rate over 24 h passed 0.3 %: campaign runs stop routing through it (triggered sends go on) until an operator lifts the pause",
    }),
    marketing_pause_reason: z.string().nullable(),
    default_from_name: z.string().nullable(),
    default_reply_to: z.string().nullable(),
    is_default: z.boolean(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("SendingDomain");

export const CreateDomainSchema = z
  .object({
    domain: z
      .string()
      .transform(normalizeDomain)
      .refine(isDomainName, "must be a domain name such as example.com")
      .openapi({ description: "Case and a trailing dot do not matter", example: "example.com" }),
    subdomain: z
      .string()
      .transform(normalizeDomain)
      .refine((s) => s.split(".").every((l) => LABEL.test(l)), "must be DNS labels such as mail")
      .nullable()
      .optional()
      .openapi({
        description:
          "Send from this subdomain of the domain (recommended: keeps marketing reputation apart). The sending host is the subdomain joined to the domain; a workspace has one sending domain per host, however it is split",
        example: "mail",
      }),
    default_from_name: z.string().trim().min(1).max(200).nullable().optional(),
    default_reply_to: z.email().nullable().optional(),
    is_default: z.boolean().optional(),
  })
  .strict()
  .openapi("CreateSendingDomain");

export const UpdateDomainSchema = z
  .object({
    default_from_name: z.string().trim().min(1).max(200).nullable(),
    default_reply_to: z.email().nullable(),
    is_default: z.boolean(),
  })
  .partial()
  .strict()
  .openapi("UpdateSendingDomain", {
    description: "The host, DKIM key and DNS records cannot change (receivers check them): add another domain instead",
  });

export const DomainVerificationSchema = z
  .object({
    status: z.enum(["verified", "failed", "verifying"]),
    checks: z.array(RecordCheckSchema),
    checked_at: z.string(),
    domain: DomainSchema,
  })
  .openapi("SendingDomainVerification");

export const DomainParamsSchema = WorkspaceParamsSchema.extend({
  domain_id: z.string().openapi({ param: { name: "domain_id", in: "path" } }),
});

const verificationOf = (d: SendingDomain): z.infer<typeof DomainSchema>["verification"] => {
  const v = d.verification_results as { status?: unknown; checks?: unknown; checked_at?: unknown } | null;
  return v && typeof v.status === "string" && Array.isArray(v.checks) && typeof v.checked_at === "string"
    ? ({ status: v.status, checks: v.checks, checked_at: v.checked_at } as z.infer<typeof DomainSchema>["verification"])
    : null;
};

export const toDomainResponse = (d: SendingDomain): z.infer<typeof DomainSchema> => ({
  id: d.id,
  domain: d.domain,
  subdomain: d.subdomain,
  sending_host: sendingHost(d),
  status: d.status,
  dns_records: d.dns_records,
  dkim_selector: d.dkim_selector,
  verification: verificationOf(d),
  verified_at: d.verified_at,
  ...warmingStateOf(d),
  marketing_paused_at: d.marketing_paused_at,
  marketing_pause_reason: d.marketing_pause_reason,
  default_from_name: d.default_from_name,
  default_reply_to: d.default_reply_to,
  is_default: d.is_default,
  created_at: d.created_at,
  updated_at: d.updated_at,
});

const RatesSchema = z.object({
  bounce_rate: z.number(),
  complaint_rate: z.number(),
  delivery_rate: z.number(),
  engagement_rate: z.number(),
});

export const TargetHealthSchema = z
  .object({
    target_type: z.enum(["domain", "ip"]),
    target_id: z.string(),
    window_days: z.number().int(),
    since: z.string().openapi({ description: "First UTC date of the window" }),
    counts: z.object({
      sent: z.number().int(),
      delivered: z.number().int(),
      bounced: z.number().int(),
      complained: z.number().int(),
      opened: z.number().int(),
      clicked: z.number().int(),
    }),
    rates: orNull(RatesSchema),
    score: z
      .number()
      .nullable()
      .openapi({ description: "0–100: bounce 35 % + complaint 35 % + delivery 15 % + engagement 15 %; null without data" }),
    status: z.enum(healthStatuses).nullable(),
    components: z.object({ bounce: z.number(), complaint: z.number(), delivery: z.number(), engagement: z.number() }).nullable(),
    isp: z
      .record(z.string(), z.number())
      .openapi({ description: "Score per recipient ISP with at least 100 sends in the window", example: { gmail: 96.5 } }),
    below_routing_floor: z.boolean().openapi({ description: "Under 80: routing prefers other domains while any is available" }),
    computed_at: z.string(),
  })
  .openapi("ReputationHealth");
