import { jsonBody, jsonContent, problemResponses } from "../../lib/openapi";
import { PaginationQuerySchema, pageSchema } from "../../lib/pagination";
import { workspaceRoute } from "../route-kinds";
import { WorkspaceParamsSchema } from "../workspaces/workspaces.schemas";
import {
  CreateOnboardingFlowSchema,
  OnboardingFlowParamsSchema,
  OnboardingFlowProgressSchema,
  OnboardingFlowSchema,
  UpdateOnboardingFlowSchema,
} from "./onboarding-flows.schemas";

const tags = ["Onboarding flows"];
const path = "/workspaces/{ws}/email-marketing/automation/onboarding-flows";
const item = `${path}/{flow_id}`;

const STEPS_TEXT =
  "Steps are checked as a whole: ids and milestone slugs unique, branches jumping only forward to an existing step, delays and timeouts at most 365 days, conditions in the audience filter language with the workspace's lists. An email step names a template (id or slug) and/or a triggered campaign of the workspace with that template; without a campaign the flow makes a triggered campaign of its own for the step (kept by later versions while the step's template stays), so each email's sends and stats are apart. Every problem is a 422 naming its field (`steps.2.template`); the slug must be free in the workspace (422 on `slug`).";

export const listOnboardingFlows = workspaceRoute({
  method: "get",
  path,
  operationId: "listOnboardingFlows",
  summary: "List onboarding flows",
  tags,
  request: { params: WorkspaceParamsSchema, query: PaginationQuerySchema },
  responses: {
    200: jsonContent(pageSchema(OnboardingFlowSchema).openapi("OnboardingFlowPage"), "A page of flows, oldest first"),
    ...problemResponses("validation_failed"),
  },
});

export const createOnboardingFlow = workspaceRoute({
  method: "post",
  path,
  operationId: "createOnboardingFlow",
  summary: "Create an onboarding flow (its version 1)",
  description: STEPS_TEXT,
  tags,
  request: { params: WorkspaceParamsSchema, body: jsonBody(CreateOnboardingFlowSchema) },
  responses: { 201: jsonContent(OnboardingFlowSchema, "The flow with its resolved steps"), ...problemResponses("validation_failed") },
});

export const getOnboardingFlow = workspaceRoute({
  method: "get",
  path: item,
  operationId: "getOnboardingFlow",
  summary: "Get an onboarding flow with the resolved steps of its current version",
  tags,
  request: { params: OnboardingFlowParamsSchema },
  responses: { 200: jsonContent(OnboardingFlowSchema, "The flow") },
});

export const updateOnboardingFlow = workspaceRoute({
  method: "patch",
  path: item,
  operationId: "updateOnboardingFlow",
  summary: "Change an onboarding flow",
  description: `New steps or a new on_unsubscribe make a new version (when they resolve to something else); users already in the flow stay on the version they started. Name, slug, description and is_active change in place. ${STEPS_TEXT} Two concurrent changes of the steps: one wins, the other is a 409.`,
  tags,
  request: { params: OnboardingFlowParamsSchema, body: jsonBody(UpdateOnboardingFlowSchema) },
  responses: { 200: jsonContent(OnboardingFlowSchema, "The flow"), ...problemResponses("conflict", "validation_failed") },
});

export const deleteOnboardingFlow = workspaceRoute({
  method: "delete",
  path: item,
  operationId: "deleteOnboardingFlow",
  summary: "Delete an onboarding flow, cancelling the users in it",
  description:
    "Active runs are cancelled (`flow_deleted`) and their Workflow instances ended; the flow goes with its versions, runs and step history. The campaigns it made for its email steps stay, with their stats.",
  tags,
  request: { params: OnboardingFlowParamsSchema },
  responses: { 204: { description: "Deleted" } },
});

export const getOnboardingFlowProgress = workspaceRoute({
  method: "get",
  path: `${item}/progress`,
  operationId: "getOnboardingFlowProgress",
  summary: "How users move through a flow: runs by state, counts per step, completion rate, median time to each milestone",
  tags,
  request: { params: OnboardingFlowParamsSchema },
  responses: { 200: jsonContent(OnboardingFlowProgressSchema, "The flow's statistics over all its versions") },
});
