import { jsonBody, jsonContent, problemResponses } from "../../lib/openapi";
import { PaginationQuerySchema, pageSchema } from "../../lib/pagination";
import { workspaceRoute } from "../route-kinds";
import { WorkspaceParamsSchema } from "../workspaces/workspaces.schemas";
import {
  CampaignListQuerySchema,
  CampaignParamsSchema,
  CampaignSchema,
  CreateCampaignSchema,
  RecipientListQuerySchema,
  RecipientParamsSchema,
  RecipientSchema,
  RunParamsSchema,
  RunSchema,
  ScheduleCampaignSchema,
  UpdateCampaignSchema,
} from "./campaigns.schemas";

export const tags = ["Campaigns"];
export const campaignsPath = "/workspaces/{ws}/email-marketing/campaigns";
export const campaignPath = `${campaignsPath}/{campaign_id}`;

const REFERENCES_TEXT =
  "template_id, category, list_id, the lists audience_filters name, sending_pool_id, sending_identity_id and routing_config.preferred_providers must be the workspace's (else 422 naming the field). The identity's domain must be verified, active or warming unless the workspace's only providers are capture providers. scheduled_at must be in the future; a recurring campaign needs a schedule and only a recurring one has one.";

export const listCampaigns = workspaceRoute({
  method: "get",
  path: campaignsPath,
  operationId: "listCampaigns",
  summary: "List campaigns",
  tags,
  request: { params: WorkspaceParamsSchema, query: PaginationQuerySchema.extend(CampaignListQuerySchema.shape) },
  responses: {
    200: jsonContent(pageSchema(CampaignSchema).openapi("EmailCampaignPage"), "A page of campaigns, newest first"),
    ...problemResponses("validation_failed"),
  },
});

export const createCampaign = workspaceRoute({
  method: "post",
  path: campaignsPath,
  operationId: "createCampaign",
  summary: "Create a campaign (as a draft)",
  description: REFERENCES_TEXT,
  tags,
  request: { params: WorkspaceParamsSchema, body: jsonBody(CreateCampaignSchema) },
  responses: { 201: jsonContent(CampaignSchema, "The draft campaign"), ...problemResponses("validation_failed") },
});

export const getCampaign = workspaceRoute({
  method: "get",
  path: campaignPath,
  operationId: "getCampaign",
  summary: "Get a campaign with its counters",
  tags,
  request: { params: CampaignParamsSchema },
  responses: { 200: jsonContent(CampaignSchema, "The campaign") },
});

export const updateCampaign = workspaceRoute({
  method: "patch",
  path: campaignPath,
  operationId: "updateCampaign",
  summary: "Change a campaign that is draft, scheduled or paused",
  description: `Refused (409 naming the state) while sending, sent or cancelled, and for campaign_type, template_id, list_id and audience_filters while a run is in progress. ${REFERENCES_TEXT} A scheduled recurring campaign given a new schedule moves to its next occurrence.`,
  tags,
  request: { params: CampaignParamsSchema, body: jsonBody(UpdateCampaignSchema) },
  responses: { 200: jsonContent(CampaignSchema, "The campaign"), ...problemResponses("conflict", "validation_failed") },
});

export const deleteCampaign = workspaceRoute({
  method: "delete",
  path: campaignPath,
  operationId: "deleteCampaign",
  summary: "Delete a draft campaign",
  description:
    "Anything scheduled or sent is history: cancel it instead (409). So is a triggered campaign that has sent (409 while it has recipients).",
  tags,
  request: { params: CampaignParamsSchema },
  responses: { 204: { description: "Deleted" }, ...problemResponses("conflict") },
});

const READY_TEXT =
  "The campaign needs a template, an audience (list_id or audience_filters) and a route: a provider, and a verified, active or warming domain with an identity (none needed when the workspace's only providers are capture providers); else 409 saying what is missing.";

export const scheduleCampaign = workspaceRoute({
  method: "post",
  path: `${campaignPath}/schedule`,
  operationId: "scheduleCampaign",
  summary: "Schedule a draft campaign",
  description: `draft → scheduled; any other state is a 409 naming it. ${READY_TEXT} The body is optional.`,
  tags,
  request: {
    params: CampaignParamsSchema,
    body: { content: { "application/json": { schema: ScheduleCampaignSchema } }, required: false },
  },
  responses: { 200: jsonContent(CampaignSchema, "The scheduled campaign"), ...problemResponses("conflict", "validation_failed") },
});

export const sendCampaign = workspaceRoute({
  method: "post",
  path: `${campaignPath}/send`,
  operationId: "sendCampaign",
  summary: "Start sending now",
  description: `draft or scheduled → sending: starts a run that pins the template's current version. Two concurrent calls start one run; any other state is a 409 naming it. ${READY_TEXT}`,
  tags,
  request: { params: CampaignParamsSchema },
  responses: { 200: jsonContent(CampaignSchema, "The campaign, sending"), ...problemResponses("conflict") },
});

export const pauseCampaign = workspaceRoute({
  method: "post",
  path: `${campaignPath}/pause`,
  operationId: "pauseCampaign",
  summary: "Pause a scheduled or sending campaign",
  description: "Sending stops within one batch; nothing already claimed is sent twice when it resumes.",
  tags,
  request: { params: CampaignParamsSchema },
  responses: { 200: jsonContent(CampaignSchema, "The paused campaign"), ...problemResponses("conflict") },
});

export const resumeCampaign = workspaceRoute({
  method: "post",
  path: `${campaignPath}/resume`,
  operationId: "resumeCampaign",
  summary: "Resume a paused campaign",
  description:
    "A paused run continues where it stopped (sending). A campaign paused before it started goes back to scheduled while its time has not come, and starts now when it has.",
  tags,
  request: { params: CampaignParamsSchema },
  responses: { 200: jsonContent(CampaignSchema, "The resumed campaign"), ...problemResponses("conflict") },
});

export const cancelCampaign = workspaceRoute({
  method: "post",
  path: `${campaignPath}/cancel`,
  operationId: "cancelCampaign",
  summary: "Cancel a scheduled or paused campaign",
  description:
    "Its run is cancelled and every recipient not yet sent is failed with reason `cancelled`. A sending campaign must be paused first.",
  tags,
  request: { params: CampaignParamsSchema },
  responses: { 200: jsonContent(CampaignSchema, "The cancelled campaign"), ...problemResponses("conflict") },
});

export const listRecipients = workspaceRoute({
  method: "get",
  path: `${campaignPath}/recipients`,
  operationId: "listCampaignRecipients",
  summary: "List a campaign's recipients and how each send went",
  tags,
  request: { params: CampaignParamsSchema, query: PaginationQuerySchema.extend(RecipientListQuerySchema.shape) },
  responses: {
    200: jsonContent(pageSchema(RecipientSchema).openapi("CampaignRecipientPage"), "A page of recipients, in the order they were written"),
    ...problemResponses("validation_failed"),
  },
});

export const getRecipient = workspaceRoute({
  method: "get",
  path: `${campaignPath}/recipients/{recipient_id}`,
  operationId: "getCampaignRecipient",
  summary: "Get one recipient of a campaign, such as the one a triggered send created",
  tags,
  request: { params: RecipientParamsSchema },
  responses: { 200: jsonContent(RecipientSchema, "The recipient and how its send went") },
});

export const listRuns = workspaceRoute({
  method: "get",
  path: `${campaignPath}/runs`,
  operationId: "listCampaignRuns",
  summary: "List a campaign's runs (one per sending; one per occurrence of a recurring campaign)",
  tags,
  request: { params: CampaignParamsSchema, query: PaginationQuerySchema },
  responses: {
    200: jsonContent(pageSchema(RunSchema).openapi("CampaignRunPage"), "A page of runs, newest first"),
    ...problemResponses("validation_failed"),
  },
});

export const getRun = workspaceRoute({
  method: "get",
  path: `${campaignPath}/runs/{run_id}`,
  operationId: "getCampaignRun",
  summary: "Get one run of a campaign",
  tags,
  request: { params: RunParamsSchema },
  responses: { 200: jsonContent(RunSchema, "The run") },
});
