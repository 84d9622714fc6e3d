import { jsonBody, jsonContent, problemResponses } from "../../lib/openapi";
import { PaginationQuerySchema, pageSchema } from "../../lib/pagination";
import { workspaceRoute } from "../route-kinds";
import { WorkspaceParamsSchema } from "../workspaces/workspaces.schemas";
import {
  CreateDomainSchema,
  DomainParamsSchema,
  DomainSchema,
  DomainVerificationSchema,
  TargetHealthSchema,
  UpdateDomainSchema,
} from "./domains.schemas";

const tags = ["Sending domains"];
const base = "/workspaces/{ws}/email-infrastructure/domains";

export const listDomains = workspaceRoute({
  method: "get",
  path: base,
  operationId: "listSendingDomains",
  summary: "List sending domains",
  tags,
  request: { params: WorkspaceParamsSchema, query: PaginationQuerySchema },
  responses: {
    200: jsonContent(pageSchema(DomainSchema).openapi("SendingDomainPage"), "A page of domains, oldest first"),
    ...problemResponses("validation_failed"),
  },
});

export const createDomain = workspaceRoute({
  method: "post",
  path: base,
  operationId: "createSendingDomain",
  summary: "Add a sending domain",
  description:
    "Generates a 2048-bit DKIM key pair (the private key is encrypted at rest and never returned) and answers the DNS records to publish: SPF authorising the workspace's providers, the DKIM key, a starting DMARC policy and the return-path CNAME. Then call verify. A host that is already a sending domain of the workspace (example.com + mail and mail.example.com are one host) is a 409 naming that domain.",
  tags,
  request: { params: WorkspaceParamsSchema, body: jsonBody(CreateDomainSchema) },
  responses: {
    201: jsonContent(DomainSchema, "The domain and its DNS records"),
    ...problemResponses("bad_request", "validation_failed", "conflict"),
  },
});

export const getDomain = workspaceRoute({
  method: "get",
  path: `${base}/{domain_id}`,
  operationId: "getSendingDomain",
  summary: "Get a sending domain",
  tags,
  request: { params: DomainParamsSchema },
  responses: { 200: jsonContent(DomainSchema, "The domain") },
});

export const updateDomain = workspaceRoute({
  method: "patch",
  path: `${base}/{domain_id}`,
  operationId: "updateSendingDomain",
  summary: "Change a domain's default from name, reply-to or default flag",
  description:
    "The host, DKIM key and DNS records stay as they are: receivers check them. Making a domain the default demotes the previous one.",
  tags,
  request: { params: DomainParamsSchema, body: jsonBody(UpdateDomainSchema) },
  responses: { 200: jsonContent(DomainSchema, "The domain"), ...problemResponses("bad_request", "validation_failed") },
});

export const deleteDomain = workspaceRoute({
  method: "delete",
  path: `${base}/{domain_id}`,
  operationId: "deleteSendingDomain",
  summary: "Remove a sending domain, its identities and its warming history",
  description:
    "Refused (409) while a pool lists the domain or a campaign that may still send (draft, scheduled, sending, paused) uses one of its identities or has routed through it.",
  tags,
  request: { params: DomainParamsSchema },
  responses: { 204: { description: "Deleted" }, ...problemResponses("conflict") },
});

export const verifyDomain = workspaceRoute({
  method: "post",
  path: `${base}/{domain_id}/verify`,
  operationId: "verifySendingDomain",
  summary: "Check the domain's DNS records",
  description:
    "Looks up each record over DNS-over-HTTPS and compares it exactly: SPF includes every provider's mechanism, the DKIM key is ours, DMARC has a policy, the return-path CNAME points where it should. A domain not yet sending becomes verified, failed (some record is missing or wrong; each check says why) or verifying (the resolver could not answer; try again).",
  tags,
  request: { params: DomainParamsSchema },
  responses: { 200: jsonContent(DomainVerificationSchema, "The checks, record by record") },
});

export const getDomainHealth = workspaceRoute({
  method: "get",
  path: `${base}/{domain_id}/health`,
  operationId: "getSendingDomainHealth",
  summary: "The domain's reputation score over the last 7 days",
  description:
    "Sub-scores: bounce 100 at 0 % to 0 at 5 %; complaint 100 at 0 % to 0 at 0.1 %; delivery 100 at 100 % to 0 at 90 %; engagement (opens + clicks per delivery) 0 at 0 % to 100 at 20 %. Tiers: excellent ≥ 90, good 70–89, fair 50–69, poor 30–49, critical < 30. The score is stored on the domain for routing.",
  tags,
  request: { params: DomainParamsSchema },
  responses: { 200: jsonContent(TargetHealthSchema, "The score, its parts and the counts behind it") },
});

export const liftMarketingPause = workspaceRoute({
  method: "post",
  path: `${base}/{domain_id}/marketing-pause/lift`,
  operationId: "liftSendingDomainMarketingPause",
  summary: "Let campaigns send from the domain again after a complaint-rate pause",
  description:
    "A domain whose complaint rate over the last 24 h passed 0.3 % (with at least 1,000 sends) is paused for marketing: campaign runs route around it, triggered sends go on. The pause stays until lifted here; lifting a domain that is not paused changes nothing. If complaints keep coming past the limit, the domain is paused again.",
  tags,
  request: { params: DomainParamsSchema },
  responses: { 200: jsonContent(DomainSchema, "The domain, no longer paused for marketing") },
});
