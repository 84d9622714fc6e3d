import { env } from "cloudflare:workers";
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client";
import {
  emailCampaigns,
  onboardingFlows,
  onboardingFlowVersions,
  onboardingProgressSteps,
  userOnboardingProgress,
} from "../../src/db/schema";
import { MAX_FLOW_STEPS, MAX_STEP_SECONDS } from "../../src/domain/onboarding/flow-steps";
import { deleteFlow } from "../../src/domain/onboarding/flows";
import { newId } from "../../src/lib/ids";
import { api, createWorkspace } from "../factories/api";

const db = createDb(env.DB);
const DAY = 86_400;

async function workspace() {
  const { workspace, key } = await createWorkspace();
  const call = (path: string, method = "GET", body?: unknown) =>
    api(`/workspaces/${workspace.id}/email-marketing${path}`, { method, token: key, body });
  const created = async (path: string, body: unknown) => {
    const res = await call(path, "POST", body);
    if (res.status !== 201) throw new Error(`${path}: ${res.status} ${res.text}`);
    return res.json;
  };
  const template = (slug: string) =>
    created("/templates", { name: slug, slug, subject_template: `About ${slug}`, body_html: `<p>${slug}</p>` });
  const campaign = (name: string, body: Record<string, unknown>) => created("/campaigns", { name, ...body });
  const flows = (suffix = "", method = "GET", body?: unknown) => call(`/automation/onboarding-flows${suffix}`, method, body);
  return { workspace, key, call, template, campaign, flows };
}

type Workspace = Awaited<ReturnType<typeof workspace>>;

/** The spec's "New User Welcome": welcome now, getting_started after a day, wait for the first project, then tips. */
async function welcomeSetup() {
  const ws = await workspace();
  const templates = {
    welcome: await ws.template("welcome"),
    getting_started: await ws.template("getting-started"),
    project_tips: await ws.template("project-tips"),
  };
  const body = {
    name: "New User Welcome",
    slug: "new_user_welcome",
    steps: [
      { type: "email", template: "welcome" },
      { type: "email", template: "getting-started", delay: DAY },
      { type: "milestone", slug: "first_project", timeout: 7 * DAY, on_timeout: "continue" },
      { type: "email", template: templates.project_tips.id },
    ],
  };
  return { ...ws, templates, body };
}

async function createFlow(ws: Workspace, body: unknown) {
  const res = await ws.flows("", "POST", body);
  expect(res.status, res.text).toBe(201);
  return res.json;
}

const versionRow = (flowId: string, version: number) =>
  db
    .select()
    .from(onboardingFlowVersions)
    .where(and(eq(onboardingFlowVersions.flow_id, flowId), eq(onboardingFlowVersions.version, version)))
    .get();

const paths = (res: { json: any }) => (res.json?.errors ?? []).map((e: { path: string }) => e.path);

describe("campaigns a flow or a rule sends through", () => {
  it("cannot be deleted or stop being triggered while a flow or a rule names them, and can once nothing does", async () => {
    const ws = await welcomeSetup();
    const flow = await createFlow(ws, ws.body);
    const managed = flow.steps[0].campaign_id as string;
    const own = await ws.campaign("Release note", { campaign_type: "triggered", template_id: ws.templates.welcome.id });
    const rule = await ws.call("/automation/rules", "POST", {
      name: "Welcome on login",
      trigger: "user.first_login",
      actions: [{ action: "send_campaign", campaign_id: own.id }],
    });
    expect(rule.status, rule.text).toBe(201);

    const deleteManaged = await ws.call(`/campaigns/${managed}`, "DELETE");
    expect(deleteManaged.status).toBe(409);
    expect(deleteManaged.json.detail).toBe(
      "campaign cannot be deleted: it is sent by onboarding flow new_user_welcome; take it out of them first",
    );
    const retype = await ws.call(`/campaigns/${managed}`, "PATCH", { campaign_type: "one_time" });
    expect(retype.status).toBe(409);
    expect(retype.json.detail).toMatch(/^campaign_type cannot change: it is sent by onboarding flow new_user_welcome/);
    const deleteOwn = await ws.call(`/campaigns/${own.id}`, "DELETE");
    expect(deleteOwn.status).toBe(409);
    expect(deleteOwn.json.detail).toMatch(/rule Welcome on login/);
    expect((await ws.call(`/campaigns/${managed}`, "PATCH", { name: "Welcome (flow)" })).status).toBe(200);

    expect((await ws.flows(`/${flow.id}`, "DELETE")).status).toBe(204);
    expect((await ws.call(`/automation/rules/${rule.json.id}`, "DELETE")).status).toBe(204);
    expect((await ws.call(`/campaigns/${managed}`, "DELETE")).status).toBe(204);
    expect((await ws.call(`/campaigns/${own.id}`, "DELETE")).status).toBe(204);
  });
});

describe("onboarding flow definitions", () => {
  it("creates a flow with its steps resolved: ids assigned, defaults filled, a triggered campaign of its own per email step", async () => {
    const ws = await welcomeSetup();
    const flow = await createFlow(ws, ws.body);

    expect(flow).toMatchObject({ name: "New User Welcome", slug: "new_user_welcome", version: 1, on_unsubscribe: "stop", is_active: true });
    expect(flow.steps).toEqual([
      { id: "email_1", type: "email", delay: 0, template_id: ws.templates.welcome.id, campaign_id: expect.any(String) },
      { id: "email_2", type: "email", delay: DAY, template_id: ws.templates.getting_started.id, campaign_id: expect.any(String) },
      { id: "first_project", type: "milestone", slug: "first_project", timeout: 7 * DAY, on_timeout: "continue" },
      { id: "email_4", type: "email", delay: 0, template_id: ws.templates.project_tips.id, campaign_id: expect.any(String) },
    ]);
    const campaignIds = flow.steps.filter((s: any) => s.type === "email").map((s: any) => s.campaign_id);
    expect(new Set(campaignIds).size).toBe(3);
    const managed = await db.select().from(emailCampaigns).where(eq(emailCampaigns.onboarding_flow_id, flow.id));
    expect(
      managed
        .map((c) => ({ id: c.id, name: c.name, type: c.campaign_type, template: c.template_id }))
        .sort((a, b) => a.name.localeCompare(b.name)),
    ).toEqual([
      { id: campaignIds[0], name: "New User Welcome · email_1", type: "triggered", template: ws.templates.welcome.id },
      { id: campaignIds[1], name: "New User Welcome · email_2", type: "triggered", template: ws.templates.getting_started.id },
      { id: campaignIds[2], name: "New User Welcome · email_4", type: "triggered", template: ws.templates.project_tips.id },
    ]);
    const version = await versionRow(flow.id, 1);
    expect(version?.steps).toEqual(flow.steps);
    expect(version?.on_unsubscribe).toBe("stop");
  });

  it("gets, lists in pages, patches in place and deletes a flow", async () => {
    const ws = await welcomeSetup();
    const first = await createFlow(ws, ws.body);
    const second = await createFlow(ws, { name: "Second", slug: "second", steps: [{ type: "wait", delay: 60 }] });

    const got = await ws.flows(`/${first.id}`);
    expect(got.status).toBe(200);
    expect(got.json).toEqual(first);

    const page1 = await ws.flows("?limit=1");
    expect(page1.json.data.map((f: any) => f.id)).toEqual([first.id]);
    const page2 = await ws.flows(`?limit=1&cursor=${page1.json.next_cursor}`);
    expect(page2.json).toEqual({ data: [second], next_cursor: null });

    const patched = await ws.flows(`/${first.id}`, "PATCH", { name: "Welcome", description: "For new users", slug: "welcome_flow" });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.json).toMatchObject({
      name: "Welcome",
      description: "For new users",
      slug: "welcome_flow",
      version: 1,
      steps: first.steps,
    });

    const deleted = await ws.flows(`/${first.id}`, "DELETE");
    expect(deleted.status).toBe(204);
    expect((await ws.flows(`/${first.id}`)).status).toBe(404);
    expect(await db.select().from(onboardingFlowVersions).where(eq(onboardingFlowVersions.flow_id, first.id))).toEqual([]);
    const campaignsLeft = await db
      .select({ id: emailCampaigns.id })
      .from(emailCampaigns)
      .where(eq(emailCampaigns.onboarding_flow_id, first.id));
    expect(campaignsLeft).toHaveLength(3);
  });

  it("accounts an email step under a triggered campaign given by id, with or without its template", async () => {
    const ws = await welcomeSetup();
    const triggered = await ws.campaign("Welcome mail", { campaign_type: "triggered", template_id: "welcome" });
    const flow = await createFlow(ws, {
      name: "Given campaign",
      slug: "given",
      steps: [
        { type: "email", campaign_id: triggered.id },
        { type: "email", campaign_id: triggered.id, template: "welcome" },
      ],
    });
    expect(flow.steps.map((s: any) => [s.template_id, s.campaign_id])).toEqual([
      [ws.templates.welcome.id, triggered.id],
      [ws.templates.welcome.id, triggered.id],
    ]);
    expect(await db.select().from(emailCampaigns).where(eq(emailCampaigns.onboarding_flow_id, flow.id))).toEqual([]);
  });

  it("fills branch and milestone defaults and keeps ids given", async () => {
    const ws = await welcomeSetup();
    const flow = await createFlow(ws, {
      name: "Branching",
      slug: "branching",
      on_unsubscribe: "continue",
      steps: [
        { type: "branch", condition: { field: "attributes.plan", op: "eq", value: "pro" }, if_false: { step: "tips" } },
        { id: "pro_welcome", type: "email", template: "welcome" },
        { type: "milestone", slug: "first_project" },
        { id: "tips", type: "email", template: "project-tips" },
      ],
    });
    expect(flow.on_unsubscribe).toBe("continue");
    expect(flow.steps[0]).toEqual({
      id: "branch_1",
      type: "branch",
      condition: { field: "attributes.plan", op: "eq", value: "pro" },
      if_true: "next",
      if_false: { step: "tips" },
    });
    expect(flow.steps[1].id).toBe("pro_welcome");
    expect(flow.steps[2]).toEqual({ id: "first_project", type: "milestone", slug: "first_project", timeout: null, on_timeout: "stop" });
    expect(flow.steps[3].id).toBe("tips");
  });

  it("makes version 2 when the steps change, leaving version 1's row as it was, and reuses the managed campaign of a step whose template stayed", async () => {
    const ws = await welcomeSetup();
    const flow = await createFlow(ws, ws.body);
    const v1 = await versionRow(flow.id, 1);

    const steps: Record<string, unknown>[] = structuredClone(ws.body.steps);
    steps[1].template = "welcome";
    steps.push({ type: "wait", delay: 60 });
    const res = await ws.flows(`/${flow.id}`, "PATCH", { steps });
    expect(res.status, res.text).toBe(200);
    expect(res.json.version).toBe(2);

    expect(await versionRow(flow.id, 1)).toEqual(v1);
    const v2 = await versionRow(flow.id, 2);
    expect(v2?.steps).toEqual(res.json.steps);
    const [before, after] = [flow.steps, res.json.steps];
    expect(after[0].campaign_id).toBe(before[0].campaign_id);
    expect(after[3].campaign_id).toBe(before[3].campaign_id);
    expect(after[1].campaign_id).not.toBe(before[1].campaign_id);
    expect(after[1].template_id).toBe(ws.templates.welcome.id);
    expect(after[4]).toEqual({ id: "wait_5", type: "wait", delay: 60 });
    const managed = await db.select().from(emailCampaigns).where(eq(emailCampaigns.onboarding_flow_id, flow.id));
    expect(managed).toHaveLength(4);

    const row = await db.select().from(onboardingFlows).where(eq(onboardingFlows.id, flow.id)).get();
    expect(row?.version).toBe(2);
  });

  it("makes no version when the steps sent back resolve to the same ones, and one when only on_unsubscribe changes", async () => {
    const ws = await welcomeSetup();
    const flow = await createFlow(ws, ws.body);
    const same = await ws.flows(`/${flow.id}`, "PATCH", { steps: ws.body.steps, name: "Renamed" });
    expect(same.json).toMatchObject({ version: 1, name: "Renamed", steps: flow.steps });
    expect(await versionRow(flow.id, 2)).toBeUndefined();

    const continued = await ws.flows(`/${flow.id}`, "PATCH", { on_unsubscribe: "continue" });
    expect(continued.json).toMatchObject({ version: 2, on_unsubscribe: "continue", steps: flow.steps });
    expect((await versionRow(flow.id, 2))?.on_unsubscribe).toBe("continue");
    expect((await versionRow(flow.id, 1))?.on_unsubscribe).toBe("stop");
  });

  it("refuses with 409 a change of steps that another change beat to the next version, and writes none of it", async () => {
    const ws = await welcomeSetup();
    const flow = await createFlow(ws, ws.body);
    // Another request wrote version 2 between this one's read and its write.
    await db
      .insert(onboardingFlowVersions)
      .values({ workspace_id: ws.workspace.id, flow_id: flow.id, version: 2, steps: flow.steps, on_unsubscribe: "stop" });
    const res = await ws.flows(`/${flow.id}`, "PATCH", {
      name: "Lost",
      steps: [{ id: "new_mail", type: "email", template: "project-tips" }],
    });
    expect(res.status, res.text).toBe(409);
    const row = await db.select().from(onboardingFlows).where(eq(onboardingFlows.id, flow.id)).get();
    expect(row).toMatchObject({ name: flow.name, version: 1 });
    expect(await db.select().from(emailCampaigns).where(eq(emailCampaigns.onboarding_flow_id, flow.id))).toHaveLength(3);
  });

  it("documents each side of a branch with its own default", async () => {
    const { json } = await api("/openapi.json");
    const branch = json.components.schemas.OnboardingBranchStepInput.properties;
    expect([branch.if_true.default, branch.if_false.default]).toEqual(["next", "end"]);
  });

  it("keeps is_active apart from versions: an inactive flow is created, read and switched on without a new version", async () => {
    const ws = await welcomeSetup();
    const flow = await createFlow(ws, { ...ws.body, is_active: false });
    expect(flow.is_active).toBe(false);
    expect((await ws.flows(`/${flow.id}`)).json.is_active).toBe(false);
    const on = await ws.flows(`/${flow.id}`, "PATCH", { is_active: true });
    expect(on.json).toMatchObject({ is_active: true, version: 1 });
  });
});

describe("invalid flows", () => {
  const wait = (extra: Record<string, unknown> = {}) => ({ type: "wait", delay: 60, ...extra });
  const cases: [
    string,
    (ws: Awaited<ReturnType<typeof welcomeSetup>>) => Promise<Record<string, unknown>> | Record<string, unknown>,
    string[],
  ][] = [
    ["an unknown template", () => ({ steps: [{ type: "email", template: "nope" }] }), ["steps.0.template"]],
    ["an email step with neither template nor campaign", () => ({ steps: [wait(), { type: "email" }] }), ["steps.1.template"]],
    [
      "a campaign that is not triggered",
      async (ws) => ({ steps: [{ type: "email", campaign_id: (await ws.campaign("One time", { template_id: "welcome" })).id }] }),
      ["steps.0.campaign_id"],
    ],
    [
      "a triggered campaign without a template",
      async (ws) => ({ steps: [{ type: "email", campaign_id: (await ws.campaign("Bare", { campaign_type: "triggered" })).id }] }),
      ["steps.0.campaign_id"],
    ],
    [
      "a campaign whose template is another",
      async (ws) => ({
        steps: [
          {
            type: "email",
            template: "project-tips",
            campaign_id: (await ws.campaign("T", { campaign_type: "triggered", template_id: "welcome" })).id,
          },
        ],
      }),
      ["steps.0.template"],
    ],
    ["an unknown campaign", () => ({ steps: [{ type: "email", template: "welcome", campaign_id: "cmp_nope" }] }), ["steps.0.campaign_id"]],
    ["a negative delay", () => ({ steps: [{ type: "email", template: "welcome", delay: -1 }] }), ["steps.0.delay"]],
    ["a delay over 365 days", () => ({ steps: [wait({ delay: MAX_STEP_SECONDS + 1 })] }), ["steps.0.delay"]],
    ["a fractional delay", () => ({ steps: [wait({ delay: 1.5 })] }), ["steps.0.delay"]],
    ["a wait without a delay", () => ({ steps: [{ type: "wait" }] }), ["steps.0.delay"]],
    ["a milestone timeout of 0", () => ({ steps: [{ type: "milestone", slug: "m", timeout: 0 }] }), ["steps.0.timeout"]],
    [
      "a milestone timeout over 365 days",
      () => ({ steps: [{ type: "milestone", slug: "m", timeout: MAX_STEP_SECONDS + 1 }] }),
      ["steps.0.timeout"],
    ],
    ["duplicate step ids", () => ({ steps: [wait({ id: "pause" }), wait({ id: "pause" })] }), ["steps.1.id"]],
    ["an id that clashes with an assigned one", () => ({ steps: [wait({ id: "wait_2" }), wait()] }), ["steps.1.id"]],
    [
      "duplicate milestone slugs",
      () => ({ steps: [{ type: "milestone", slug: "first_project" }, wait(), { type: "milestone", slug: "first_project" }] }),
      ["steps.2.slug"],
    ],
    [
      "a branch jumping backward",
      () => ({
        steps: [wait({ id: "start" }), { type: "branch", condition: { field: "name", op: "exists" }, if_true: { step: "start" } }],
      }),
      ["steps.1.if_true.step"],
    ],
    [
      "a branch jumping to itself",
      () => ({ steps: [{ id: "b", type: "branch", condition: { field: "name", op: "exists" }, if_false: { step: "b" } }, wait()] }),
      ["steps.0.if_false.step"],
    ],
    [
      "a branch jumping to an unknown step",
      () => ({ steps: [{ type: "branch", condition: { field: "name", op: "exists" }, if_false: { step: "nowhere" } }, wait()] }),
      ["steps.0.if_false.step"],
    ],
    [
      "a bad condition",
      () => ({ steps: [wait(), { type: "branch", condition: { and: [{ field: "attributes.plan", op: "gt", value: true }] } }] }),
      ["steps.1.condition.and.0.value"],
    ],
    [
      "a condition on an unknown list",
      () => ({ steps: [{ type: "branch", condition: { not: { list: { op: "member", list_id: "lst_nope" } } } }] }),
      ["steps.0.condition.not.list.list_id"],
    ],
    ["an unknown step type", () => ({ steps: [{ type: "sms" }] }), ["steps.0.type"]],
    ["too many steps", () => ({ steps: Array.from({ length: MAX_FLOW_STEPS + 1 }, () => wait()) }), ["steps"]],
    ["no steps", () => ({ steps: [] }), ["steps"]],
    ["a bad slug", () => ({ slug: "Not A Slug" }), ["slug"]],
    ["a bad step id", () => ({ steps: [wait({ id: "-x" })] }), ["steps.0.id"]],
    [
      "steps holding more JSON than a stored version can (2 MB a row)",
      () => ({
        steps: Array.from({ length: 20 }, (_, i) => ({
          type: "branch",
          condition: { field: "attributes.code", op: "in", value: Array.from({ length: 1000 }, (_, j) => `${i}-${j}-`.padEnd(100, "x")) },
          if_false: "next",
        })),
      }),
      ["steps"],
    ],
    ["an unknown field", () => ({ steps: [wait({ repeat: true })] }), ["steps.0.repeat"]],
  ];

  it.each(cases)("refuses %s with 422 naming the field, and writes nothing", async (_, build, expected) => {
    const ws = await welcomeSetup();
    const body = { name: "Invalid", slug: "invalid", steps: [wait()], ...(await build(ws)) };
    const res = await ws.flows("", "POST", body);
    expect(res.status, res.text.slice(0, 500)).toBe(422);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    expect(paths(res)).toEqual(expected);
    expect(await db.select().from(onboardingFlows).where(eq(onboardingFlows.workspace_id, ws.workspace.id))).toEqual([]);
    expect(
      await db
        .select()
        .from(emailCampaigns)
        .where(and(eq(emailCampaigns.workspace_id, ws.workspace.id), eq(emailCampaigns.name, "Invalid · email_1"))),
    ).toEqual([]);
  });

  it("names every problem of a body at once", async () => {
    const ws = await welcomeSetup();
    const res = await ws.flows("", "POST", {
      name: "Many",
      slug: "many",
      steps: [
        { type: "email", template: "nope" },
        { type: "email", template: "welcome", campaign_id: "cmp_nope" },
      ],
    });
    expect(res.status).toBe(422);
    expect(paths(res)).toEqual(["steps.0.template", "steps.1.campaign_id"]);
  });

  it("refuses a slug another flow of the workspace has, on create and on PATCH, while another workspace may use it", async () => {
    const ws = await welcomeSetup();
    const flow = await createFlow(ws, ws.body);
    const again = await ws.flows("", "POST", { ...ws.body, name: "Again" });
    expect(again.status).toBe(422);
    expect(paths(again)).toEqual(["slug"]);

    const other = await createFlow(ws, { name: "Other", slug: "other", steps: [wait()] });
    const renamed = await ws.flows(`/${other.id}`, "PATCH", { slug: flow.slug });
    expect(renamed.status).toBe(422);
    expect(paths(renamed)).toEqual(["slug"]);

    const elsewhere = await welcomeSetup();
    await createFlow(elsewhere, elsewhere.body);
  });

  it("creates one of two flows sent together with the same slug and refuses the other with 422 on slug", async () => {
    const ws = await welcomeSetup();
    const [a, b] = await Promise.all([ws.flows("", "POST", ws.body), ws.flows("", "POST", { ...ws.body, name: "Twin" })]);
    expect([a.status, b.status].sort()).toEqual([201, 422]);
    expect(paths(a.status === 422 ? a : b)).toEqual(["slug"]);
    const rows = await db.select().from(onboardingFlows).where(eq(onboardingFlows.workspace_id, ws.workspace.id));
    expect(rows).toHaveLength(1);
    const managed = await db.select().from(emailCampaigns).where(eq(emailCampaigns.workspace_id, ws.workspace.id));
    expect(managed.map((c) => c.onboarding_flow_id)).toEqual([rows[0].id, rows[0].id, rows[0].id]);
  });

  it("refuses invalid steps on PATCH with their paths and keeps the current version", async () => {
    const ws = await welcomeSetup();
    const flow = await createFlow(ws, ws.body);
    const res = await ws.flows(`/${flow.id}`, "PATCH", { steps: [wait(), { type: "email", template: "nope" }] });
    expect(res.status).toBe(422);
    expect(paths(res)).toEqual(["steps.1.template"]);
    expect((await ws.flows(`/${flow.id}`)).json).toEqual(flow);
    expect(await versionRow(flow.id, 2)).toBeUndefined();
  });

  it("answers hostile bodies with 4xx, never 5xx", async () => {
    const ws = await welcomeSetup();
    let deep: unknown = { field: "name", op: "exists" };
    for (let i = 0; i < 200; i++) deep = { not: deep };
    const huge = "x".repeat(1_000_000);
    const bodies: unknown[] = [
      { name: "Deep", slug: "deep", steps: [{ type: "branch", condition: deep }] },
      { name: huge, slug: "huge", steps: [wait()] },
      { name: "Huge", slug: "huge", steps: [{ type: "email", template: huge }] },
      { name: "Huge", slug: "huge", steps: [{ type: "wait", delay: 60, id: huge }] },
      { name: "Huge", slug: "huge", steps: [{ type: "email", template: "welcome", campaign_id: huge }] },
      { name: "Types", slug: "types", steps: "wait" },
      { name: "Types", slug: "types", steps: [1, null, "x"] },
      { name: "Types", slug: "types", steps: [{ type: "wait", delay: "60" }] },
      { name: "Types", slug: "types", steps: [{ type: "wait", delay: 1e308 }] },
      { name: "Types", slug: "types", steps: [{ type: ["wait"], delay: 60 }] },
      { name: "Types", slug: "types", steps: [{ type: "branch", condition: [], if_true: { step: 5 } }] },
      { name: "Types", slug: "types", steps: [{ type: "milestone", slug: { __proto__: "x" } }] },
      { name: 5, slug: null, steps: [wait()], is_active: "yes", on_unsubscribe: "maybe" },
      { name: "Proto", slug: "proto", steps: [wait()], __proto__: { is_active: false }, constructor: {} },
      [],
      "flow",
    ];
    for (const body of bodies) {
      const res = await ws.flows("", "POST", body);
      expect(res.status, `${JSON.stringify(body).slice(0, 200)} → ${res.text.slice(0, 300)}`).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
    }
    const flow = await createFlow(ws, ws.body);
    for (const body of bodies) {
      const res = await ws.flows(`/${flow.id}`, "PATCH", body);
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
    }
    expect((await ws.flows(`/${flow.id}`)).json).toEqual(flow);
  });
});

describe("workspaces", () => {
  it("does not show, change, delete or count another workspace's flow (404), nor accept its templates or campaigns in a body (422)", async () => {
    const mine = await welcomeSetup();
    const theirs = await welcomeSetup();
    const flow = await createFlow(theirs, theirs.body);
    for (const [suffix, method, body] of [
      [`/${flow.id}`, "GET"],
      [`/${flow.id}`, "PATCH", { name: "Mine now" }],
      [`/${flow.id}`, "DELETE"],
      [`/${flow.id}/progress`, "GET"],
    ] as const) {
      const res = await mine.flows(suffix, method, body);
      expect(res.status, `${method} ${suffix}`).toBe(404);
    }
    expect((await mine.flows()).json.data).toEqual([]);
    expect((await theirs.flows(`/${flow.id}`)).json).toEqual(flow);

    const theirCampaign = await theirs.campaign("Theirs", { campaign_type: "triggered", template_id: "welcome" });
    const res = await mine.flows("", "POST", {
      name: "Borrowing",
      slug: "borrowing",
      steps: [
        { type: "email", template: theirs.templates.welcome.id },
        { type: "email", campaign_id: theirCampaign.id },
      ],
    });
    expect(res.status).toBe(422);
    expect(paths(res)).toEqual(["steps.0.template", "steps.1.campaign_id"]);
  });
});

describe("deleting a flow with users in it", () => {
  async function flowWithRuns() {
    const ws = await welcomeSetup();
    const flow = await createFlow(ws, ws.body);
    const progress = (status: "active" | "completed" | "stopped") => ({
      id: newId("obp"),
      workspace_id: ws.workspace.id,
      flow_id: flow.id,
      subscriber_id: newId("sub"),
      status,
    });
    const runs = [progress("active"), progress("active"), progress("completed"), progress("stopped")];
    await db.insert(userOnboardingProgress).values(runs);
    await db.insert(onboardingProgressSteps).values({
      workspace_id: ws.workspace.id,
      progress_id: runs[0].id,
      step_index: 0,
      step_id: "email_1",
      step_type: "email",
      outcome: "sent",
      started_at: new Date().toISOString(),
      finished_at: new Date().toISOString(),
    });
    return { ws, flow, runs };
  }

  it("cancels the active runs (flow_deleted) before their instances are ended, ignores instances that cannot be, and returns them", async () => {
    const { ws, flow, runs } = await flowWithRuns();
    const seenAtTermination: Record<string, unknown>[] = [];
    const workflow = {
      get: async (id: string) => ({
        terminate: async () => {
          const row = await db.select().from(userOnboardingProgress).where(eq(userOnboardingProgress.id, id)).get();
          seenAtTermination.push({ id, status: row?.status, stop_reason: row?.stop_reason });
          if (id === runs[1].id) throw new Error("instance already gone");
        },
      }),
    };
    const { cancelled } = await deleteFlow(
      { db, env: { ...env, ONBOARDING_WORKFLOW: workflow } as unknown as Env },
      ws.workspace.id,
      flow.id,
      new Date(),
    );

    expect(cancelled.sort()).toEqual([runs[0].id, runs[1].id].sort());
    expect(seenAtTermination.sort((a, b) => String(a.id).localeCompare(String(b.id)))).toEqual(
      [runs[0].id, runs[1].id].sort().map((id) => ({ id, status: "cancelled", stop_reason: "flow_deleted" })),
    );
    expect(await db.select().from(onboardingFlows).where(eq(onboardingFlows.id, flow.id))).toEqual([]);
  });

  it("goes with its runs and their history through the API, and leaves its managed campaigns", async () => {
    const { ws, flow } = await flowWithRuns();
    const res = await ws.flows(`/${flow.id}`, "DELETE");
    expect(res.status).toBe(204);
    expect(await db.select().from(userOnboardingProgress).where(eq(userOnboardingProgress.flow_id, flow.id))).toEqual([]);
    expect(await db.select().from(onboardingProgressSteps).where(eq(onboardingProgressSteps.workspace_id, ws.workspace.id))).toEqual([]);
    expect(await db.select().from(emailCampaigns).where(eq(emailCampaigns.onboarding_flow_id, flow.id))).toHaveLength(3);
    expect((await ws.flows(`/${flow.id}`, "DELETE")).status).toBe(404);
  });
});
