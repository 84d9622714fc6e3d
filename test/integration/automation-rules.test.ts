import { and, eq } from "drizzle-orm";
import { afterEach, describe, expect, it, vi } from "vitest";
import { onboardingFlowVersions, subscriberMilestones, trackingEvents, userOnboardingProgress } from "../../src/db/schema";
import { enrollSubscriber } from "../../src/domain/onboarding/enrollment";
import { newId } from "../../src/lib/ids";
import { api } from "../factories/api";
import { automationWorkspace, captureAutomationQueue, captured, deliver, insertFlow } from "../factories/automation";
import { db, startedRun } from "../factories/campaigns";

afterEach(() => vi.restoreAllMocks());

/** The onboarding engine (enrollSubscriber, reachMilestone) lands from another branch; until then its functions only throw. */
const engineMerged = !String(enrollSubscriber).includes("not merged yet");

const sendTo = (campaignId: string) => [{ action: "send_campaign", campaign_id: campaignId }];

describe("automation rules API", () => {
  it("creates, reads, lists, updates and deletes a rule", async () => {
    const ws = await automationWorkspace();
    const body = {
      name: "Welcome pros",
      trigger: "user.first_login",
      conditions: { field: "attributes.plan", op: "eq", value: "pro" },
      actions: sendTo(ws.triggered),
    };
    const created = await ws.rules("", "POST", body);
    expect(created.status, created.text).toBe(201);
    expect(created.json).toMatchObject({ ...body, enabled: true, trigger_count: 0, last_triggered_at: null });
    const id = created.json.id;
    expect((await ws.rules(`/${id}`)).json).toEqual(created.json);
    expect((await ws.rules()).json).toMatchObject({ data: [{ id }], next_cursor: null });

    const patched = await ws.rules(`/${id}`, "PATCH", { name: "Welcome", enabled: false, conditions: null });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.json).toMatchObject({ name: "Welcome", enabled: false, conditions: null, trigger: "user.first_login" });

    expect((await ws.rules(`/${id}`, "DELETE")).status).toBe(204);
    expect((await ws.rules(`/${id}`)).status).toBe(404);
    expect((await ws.rules(`/${id}/runs`)).status).toBe(404);
  });

  it("refuses invalid rules with 422 naming the field, and saves nothing", async () => {
    const ws = await automationWorkspace();
    const other = await automationWorkspace();
    const { campaignId: oneTime } = await startedRun(ws, { status: "draft", current_run_id: null });
    const { campaignId: recurring } = await startedRun(ws, { campaign_type: "recurring", status: "draft", current_run_id: null });
    const valid = { name: "R", trigger: "user.first_login", actions: sendTo(ws.triggered) };
    const cases: [unknown, string][] = [
      [{ ...valid, actions: sendTo("cmp_missing") }, "actions.0.campaign_id"],
      [{ ...valid, actions: sendTo(other.triggered) }, "actions.0.campaign_id"],
      [{ ...valid, actions: sendTo(oneTime) }, "actions.0.campaign_id"],
      [{ ...valid, trigger: "release.published", actions: sendTo(recurring) }, "actions.0.campaign_id"],
      [
        { ...valid, actions: [...sendTo(ws.triggered), { action: "trigger_onboarding", flow_slug: "no-such-flow" }] },
        "actions.1.flow_slug",
      ],
      [{ ...valid, actions: [{ action: "trigger_onboarding", flow_slug: "Bad Slug" }] }, "actions.0.flow_slug"],
      [{ ...valid, actions: [{ action: "complete_onboarding_step" }] }, "actions.0.step_id"],
      [{ ...valid, actions: [{ action: "send_email" }] }, "actions.0.action"],
      [{ ...valid, actions: [] }, "actions"],
      [{ ...valid, actions: Array.from({ length: 11 }, () => sendTo(ws.triggered)[0]) }, "actions"],
      [{ ...valid, trigger: "First Login" }, "trigger"],
      [{ ...valid, name: " " }, "name"],
      [{ ...valid, conditions: { field: "plan", op: "eq", value: "pro" } }, "conditions.field"],
      [{ ...valid, conditions: { and: [{ field: "event.properties.n", op: "gt", value: true }] } }, "conditions.and.0.value"],
      [{ ...valid, conditions: { field: "event.properties.bad key", op: "exists" } }, "conditions.field"],
      [{ ...valid, conditions: { list: { op: "member", list_id: other.list.id } } }, "conditions.list.list_id"],
      [{ ...valid, conditions: "plan = pro" }, "conditions"],
      [{ ...valid, enabled: "yes" }, "enabled"],
      [{ ...valid, extra: 1 }, "extra"],
    ];
    for (const [body, path] of cases) {
      const res = await ws.rules("", "POST", body);
      expect(res.status, `${JSON.stringify(body).slice(0, 120)} → ${res.text}`).toBe(422);
      expect(res.json.errors.map((e: { path: string }) => e.path)).toContain(path);
    }
    let deep: unknown = { field: "email", op: "exists" };
    for (let i = 0; i < 200; i++) deep = { not: deep };
    for (const body of [null, [], "rule", { ...valid, conditions: deep }, { ...valid, actions: [null] }, { ...valid, actions: "all" }]) {
      const res = await ws.rules("", "POST", body);
      expect(res.status, res.text).toBe(422);
    }
    expect((await ws.rules()).json.data).toEqual([]);
  });

  it("checks the actions against the rule as it will be on PATCH", async () => {
    const ws = await automationWorkspace();
    const { campaignId: oneTime } = await startedRun(ws, { status: "draft", current_run_id: null });
    const rule = await ws.createRule({ trigger: "release.published", actions: sendTo(oneTime) });
    const res = await ws.rules(`/${rule.id}`, "PATCH", { trigger: "user.first_login" });
    expect(res.status, res.text).toBe(422);
    expect(res.json.errors[0].path).toBe("actions.0.campaign_id");
    expect((await ws.rules(`/${rule.id}`)).json.trigger).toBe("release.published");
  });

  it("accepts trigger_onboarding for a flow of the workspace and complete_onboarding_step for a step id", async () => {
    const ws = await automationWorkspace();
    await insertFlow(ws.workspace.id, "new-user-welcome");
    const res = await ws.rules("", "POST", {
      name: "Onboard",
      trigger: "user.first_login",
      actions: [
        { action: "trigger_onboarding", flow_slug: "new-user-welcome" },
        { action: "complete_onboarding_step", step_id: "first_login" },
      ],
    });
    expect(res.status, res.text).toBe(201);
    const other = await automationWorkspace();
    const foreign = await other.rules("", "POST", {
      name: "Onboard",
      trigger: "user.first_login",
      actions: [{ action: "trigger_onboarding", flow_slug: "new-user-welcome" }],
    });
    expect(foreign.status).toBe(422);
  });

  it("answers 404 for another workspace's rule", async () => {
    const ws = await automationWorkspace();
    const rule = await ws.createRule({ trigger: "user.first_login", actions: sendTo(ws.triggered) });
    const other = await automationWorkspace();
    for (const [path, method, body] of [
      [`/${rule.id}`, "GET"],
      [`/${rule.id}`, "PATCH", { name: "Mine now" }],
      [`/${rule.id}`, "DELETE"],
      [`/${rule.id}/runs`, "GET"],
    ] as const) {
      expect((await other.rules(path, method, body)).status).toBe(404);
    }
    expect((await ws.rules(`/${rule.id}`)).json.name).toBe("Rule");
    const byUrl = await api(`/workspaces/${ws.workspace.id}/email-marketing/automation/rules/${rule.id}`, { token: other.key });
    expect(byUrl.status).toBe(404);
  });
});

describe("rules on events", () => {
  it("fire when their conditions hold over the user and the event, and record why they skipped otherwise", async () => {
    const ws = await automationWorkspace();
    const rule = await ws.createRule({
      trigger: "user.integration_connected",
      conditions: {
        and: [
          { field: "attributes.plan", op: "eq", value: "pro" },
          { field: "event.properties.integration", op: "in", value: ["github", "gitlab"] },
          { field: "event.type", op: "starts_with", value: "user." },
          { not: { field: "event.properties.repos", op: "lt", value: 1 } },
        ],
      },
      actions: sendTo(ws.triggered),
    });
    const otherTrigger = await ws.createRule({ trigger: "user.first_login", actions: sendTo(ws.triggered) });
    const disabled = await ws.createRule({ trigger: "user.integration_connected", actions: sendTo(ws.triggered), enabled: false });
    const { queued } = captureAutomationQueue();
    const connected = (id: string, plan: string, properties: Record<string, unknown>) => ({
      id,
      type: "user.integration_connected",
      user: { id: `user-${id}`, email: `${id}@example.com`, attributes: { plan } },
      properties,
    });
    await ws.events({
      events: [
        connected("fires", "pro", { integration: "github", repos: 3 }),
        connected("free-plan", "free", { integration: "github", repos: 3 }),
        connected("other-tool", "pro", { integration: "jira", repos: 3 }),
        connected("no-repos", "pro", { integration: "gitlab", repos: 0 }),
      ],
    });
    await deliver(queued);

    const runs = Object.fromEntries((await ws.runs(rule.id)).map((r) => [r.event_id, r]));
    expect(Object.keys(runs).sort()).toEqual(["fires", "free-plan", "no-repos", "other-tool"]);
    expect(runs.fires).toMatchObject({ outcome: "fired", event_type: "user.integration_connected", reason: null });
    expect(runs.fires.actions).toEqual([{ action: "send_campaign", outcome: "done", ref: expect.stringMatching(/^rcp_/) }]);
    for (const skipped of ["free-plan", "other-tool", "no-repos"]) {
      expect(runs[skipped]).toMatchObject({ outcome: "skipped", reason: "the conditions did not hold", actions: [] });
    }
    const messages = await captured(ws.triggered);
    expect(messages.map((m) => m.to_email)).toEqual(["fires@example.com"]);
    expect(await ws.runs(otherTrigger.id)).toEqual([]);
    expect(await ws.runs(disabled.id)).toEqual([]);
    expect((await ws.rules(`/${rule.id}`)).json).toMatchObject({ trigger_count: 1, last_triggered_at: expect.any(String) });
  });

  it("evaluate list membership and engagement over the user's subscriber", async () => {
    const ws = await automationWorkspace();
    const members = await ws.createRule({
      trigger: "user.first_login",
      conditions: { list: { op: "member", list_id: ws.list.id } },
      actions: sendTo(ws.triggered),
    });
    const openers = await ws.createRule({
      trigger: "user.first_login",
      conditions: { engagement: { op: "opened", within_days: 30 } },
      actions: sendTo(ws.triggered),
    });
    const ada = ws.subscribers.find((s) => s.email === "ada@example.com");
    await db.insert(trackingEvents).values({
      id: newId("trk"),
      workspace_id: ws.workspace.id,
      campaign_id: ws.triggered,
      recipient_id: newId("rcp"),
      subscriber_id: ada?.id,
      event_type: "open",
      occurred_at: new Date(Date.now() - 2 * 86_400_000).toISOString(),
    });
    const { queued } = captureAutomationQueue();
    await ws.events({
      events: [
        { id: "ada", type: "user.first_login", user: { email: "ada@example.com" } },
        { id: "grace", type: "user.first_login", user: { email: "grace@example.com" } },
        { id: "stranger", type: "user.first_login", user: { email: "stranger@example.com" } },
      ],
    });
    await deliver(queued);
    const outcomes = async (ruleId: string) => Object.fromEntries((await ws.runs(ruleId)).map((r) => [r.event_id, r.outcome]));
    expect(await outcomes(members.id)).toEqual({ ada: "fired", grace: "fired", stranger: "skipped" });
    expect(await outcomes(openers.id)).toEqual({ ada: "fired", grace: "skipped", stranger: "skipped" });
  });

  it.skipIf(!engineMerged)("enroll the user with trigger_onboarding once, and skip them while they are in the flow", async () => {
    const ws = await automationWorkspace();
    const flowId = await insertFlow(ws.workspace.id, "welcome");
    await db.insert(onboardingFlowVersions).values({
      workspace_id: ws.workspace.id,
      flow_id: flowId,
      version: 1,
      steps: [{ id: "wait_1", type: "wait", delay: 86_400 }],
      on_unsubscribe: "stop",
    });
    const rule = await ws.createRule({ trigger: "user.first_login", actions: [{ action: "trigger_onboarding", flow_slug: "welcome" }] });
    const { queued } = captureAutomationQueue();
    await ws.events({ id: "login-1", type: "user.first_login", user: { email: "ada@example.com" } });
    await ws.events({ id: "login-2", type: "user.first_login", user: { email: "ada@example.com" } });
    await deliver(queued);

    const progress = await db.select().from(userOnboardingProgress).where(eq(userOnboardingProgress.flow_id, flowId));
    expect(progress).toHaveLength(1);
    expect(progress[0]).toMatchObject({ status: "active", enrolled_by: `rule:${rule.id}` });
    const runs = Object.fromEntries((await ws.runs(rule.id)).map((r) => [r.event_id, r]));
    expect(runs["login-1"].actions).toEqual([{ action: "trigger_onboarding", outcome: "done", ref: progress[0].id }]);
    expect(runs["login-2"]).toMatchObject({ outcome: "skipped" });
  });

  it.skipIf(!engineMerged)(
    "mark a milestone reached with complete_onboarding_step and with the built-in user.milestone_reached",
    async () => {
      const ws = await automationWorkspace();
      const rule = await ws.createRule({
        trigger: "user.profile_completed",
        actions: [{ action: "complete_onboarding_step", step_id: "profile" }],
      });
      const { queued } = captureAutomationQueue();
      await ws.events({
        events: [
          { id: "profile-1", type: "user.profile_completed", user: { email: "ada@example.com" } },
          {
            id: "milestone-1",
            type: "user.milestone_reached",
            user: { email: "ada@example.com" },
            properties: { milestone: "first_project" },
          },
        ],
      });
      const result = await deliver(queued);
      expect(result.retryMessages).toEqual([]);
      const ada = ws.subscribers.find((s) => s.email === "ada@example.com");
      const reached = await db
        .select({ slug: subscriberMilestones.slug })
        .from(subscriberMilestones)
        .where(and(eq(subscriberMilestones.workspace_id, ws.workspace.id), eq(subscriberMilestones.subscriber_id, ada?.id ?? "")));
      expect(reached.map((m) => m.slug).sort()).toEqual(["first_project", "profile"]);
      expect((await ws.runs(rule.id))[0]).toMatchObject({ outcome: "fired" });
    },
  );
});
