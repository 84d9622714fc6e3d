import { jsonBody, jsonContent, problemResponses } from "../../lib/openapi";
import { PaginationQuerySchema, pageSchema } from "../../lib/pagination";
import { workspaceRoute } from "../route-kinds";
import { WorkspaceParamsSchema } from "../workspaces/workspaces.schemas";
import { CreateRuleSchema, RuleParamsSchema, RuleRunSchema, RuleSchema, UpdateRuleSchema } from "./automation-rules.schemas";

const tags = ["Automation"];
const path = "/workspaces/{ws}/email-marketing/automation/rules";
const item = `${path}/{rule_id}`;

const REFERENCES_TEXT =
  "`send_campaign` names a triggered campaign of the workspace, or a one-time one when the trigger is `release.published`; `trigger_onboarding` names an existing flow's slug; lists in the conditions must exist. Otherwise 422 naming the field.";

export const listRules = workspaceRoute({
  method: "get",
  path,
  operationId: "listAutomationRules",
  summary: "List automation rules",
  tags,
  request: { params: WorkspaceParamsSchema, query: PaginationQuerySchema },
  responses: {
    200: jsonContent(pageSchema(RuleSchema).openapi("AutomationRulePage"), "A page of rules, oldest first"),
    ...problemResponses("validation_failed"),
  },
});

export const createRule = workspaceRoute({
  method: "post",
  path,
  operationId: "createAutomationRule",
  summary: "Create a rule: when an event of type `trigger` arrives and the conditions hold, run the actions",
  description: REFERENCES_TEXT,
  tags,
  request: { params: WorkspaceParamsSchema, body: jsonBody(CreateRuleSchema) },
  responses: { 201: jsonContent(RuleSchema, "The rule"), ...problemResponses("validation_failed") },
});

export const getRule = workspaceRoute({
  method: "get",
  path: item,
  operationId: "getAutomationRule",
  summary: "Read a rule",
  tags,
  request: { params: RuleParamsSchema },
  responses: { 200: jsonContent(RuleSchema, "The rule") },
});

export const updateRule = workspaceRoute({
  method: "patch",
  path: item,
  operationId: "updateAutomationRule",
  summary: "Change a rule; `enabled: false` stops it without deleting it",
  description: REFERENCES_TEXT,
  tags,
  request: { params: RuleParamsSchema, body: jsonBody(UpdateRuleSchema) },
  responses: { 200: jsonContent(RuleSchema, "The rule"), ...problemResponses("validation_failed") },
});

export const deleteRule = workspaceRoute({
  method: "delete",
  path: item,
  operationId: "deleteAutomationRule",
  summary: "Delete a rule with its runs",
  tags,
  request: { params: RuleParamsSchema },
  responses: { 204: { description: "Deleted" } },
});

export const listRuleRuns = workspaceRoute({
  method: "get",
  path: `${item}/runs`,
  operationId: "listAutomationRuleRuns",
  summary: "A rule's runs: each event it met, the outcome, and what each action did or why it was skipped",
  tags,
  request: { params: RuleParamsSchema, query: PaginationQuerySchema },
  responses: {
    200: jsonContent(pageSchema(RuleRunSchema).openapi("AutomationRuleRunPage"), "A page of runs, newest first"),
    ...problemResponses("validation_failed"),
  },
});
