import { jsonBody, jsonContent, problemResponses } from "../../lib/openapi";
import { workspaceRoute } from "../route-kinds";
import { SubscriberParamsSchema } from "../subscribers/subscribers.schemas";
import { EnrollSchema, FlowParamsSchema, ProgressListSchema, ProgressParamsSchema, ProgressSchema } from "./onboarding.schemas";

const tags = ["Onboarding"];
const base = "/workspaces/{ws}/email-marketing";

export const enrollInFlow = workspaceRoute({
  method: "post",
  path: `${base}/automation/onboarding-flows/{flow_id}/enroll`,
  operationId: "enrollInOnboardingFlow",
  summary: "Start an onboarding flow for one user",
  description:
    "By `subscriber_id` or by `email` (an unknown address becomes a subscriber). The user runs the flow's current version to its end even if the flow is edited meanwhile. A user is in a flow at most once at a time: enrolling one who is already active in it answers 200 with that progress and starts nothing. An inactive flow is a 409.",
  tags,
  request: { params: FlowParamsSchema, body: jsonBody(EnrollSchema) },
  responses: {
    201: jsonContent(ProgressSchema, "The new progress; the flow's first step runs now"),
    200: jsonContent(ProgressSchema, "The user was already active in the flow: that progress"),
    ...problemResponses("conflict"),
  },
});

export const listSubscriberOnboarding = workspaceRoute({
  method: "get",
  path: `${base}/subscribers/{subscriber_id}/onboarding`,
  operationId: "listSubscriberOnboarding",
  summary: "The flows a subscriber is or was in, with each one's state and step history",
  tags,
  request: { params: SubscriberParamsSchema },
  responses: { 200: jsonContent(ProgressListSchema, "Newest first") },
});

export const getOnboardingProgress = workspaceRoute({
  method: "get",
  path: `${base}/onboarding/{progress_id}`,
  operationId: "getOnboardingProgress",
  summary: "Read one user's run through a flow, with its step history",
  tags,
  request: { params: ProgressParamsSchema },
  responses: { 200: jsonContent(ProgressSchema, "The progress") },
});

export const cancelOnboardingProgress = workspaceRoute({
  method: "post",
  path: `${base}/onboarding/{progress_id}/cancel`,
  operationId: "cancelOnboardingProgress",
  summary: "Stop a user's run through a flow",
  description: "The progress ends `cancelled` (stop_reason `cancelled_by_api`) and no further step runs. 409 when it is not active.",
  tags,
  request: { params: ProgressParamsSchema },
  responses: { 200: jsonContent(ProgressSchema, "The cancelled progress"), ...problemResponses("conflict") },
});
