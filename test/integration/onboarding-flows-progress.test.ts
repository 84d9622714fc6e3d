import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client";
import { onboardingProgressSteps, userOnboardingProgress } from "../../src/db/schema";
import type { onboardingStepOutcomes } from "../../src/db/schema/enums";
import { newId } from "../../src/lib/ids";
import { api, createWorkspace } from "../factories/api";

const db = createDb(env.DB);

type Outcome = (typeof onboardingStepOutcomes)[number];
type Status = "active" | "completed" | "stopped" | "cancelled";

async function setup() {
  const { workspace, key } = await createWorkspace();
  const call = async (path: string, method = "GET", body?: unknown) =>
    api(`/workspaces/${workspace.id}/email-marketing${path}`, { method, token: key, body });
  for (const slug of ["welcome", "getting-started", "project-tips"]) {
    const res = await call("/templates", "POST", { name: slug, slug, subject_template: slug, body_html: `<p>${slug}</p>` });
    expect(res.status, res.text).toBe(201);
  }
  const create = async (body: unknown) => {
    const res = await call("/automation/onboarding-flows", "POST", body);
    expect(res.status, res.text).toBe(201);
    return res.json as { id: string };
  };
  const progress = async (flowId: string) => {
    const res = await call(`/automation/onboarding-flows/${flowId}/progress`);
    expect(res.status, res.text).toBe(200);
    return res.json;
  };
  return { workspace, call, create, progress };
}

/** A run as the engine would leave it: its row and the history of the steps it went through. */
async function insertRun(
  workspaceId: string,
  flowId: string,
  run: { version: number; status: Status; started: string; current: number; history: [string, string, Outcome, number][] },
) {
  const id = newId("obp");
  const startedMs = Date.parse(run.started);
  await db.insert(userOnboardingProgress).values({
    id,
    workspace_id: workspaceId,
    flow_id: flowId,
    flow_version: run.version,
    subscriber_id: newId("sub"),
    status: run.status,
    current_step: run.current,
    started_at: run.started,
  });
  if (run.history.length === 0) return id;
  await db.insert(onboardingProgressSteps).values(
    run.history.map(([stepId, type, outcome, secondsAfterStart], index) => ({
      workspace_id: workspaceId,
      progress_id: id,
      step_index: index,
      step_id: stepId,
      step_type: type,
      outcome,
      started_at: new Date(startedMs + Math.max(0, secondsAfterStart - 1) * 1000).toISOString(),
      finished_at: new Date(startedMs + secondsAfterStart * 1000).toISOString(),
    })),
  );
  return id;
}

describe("GET …/onboarding-flows/{flow_id}/progress", () => {
  it("counts runs by state, users per step and outcome over every version, the completion rate and the median time to each milestone", async () => {
    const ws = await setup();
    const flow = await ws.create({
      name: "New User Welcome",
      slug: "welcome",
      steps: [
        { type: "email", template: "welcome" },
        { type: "email", template: "getting-started", delay: 86_400 },
        { type: "milestone", slug: "first_project", timeout: 604_800, on_timeout: "continue" },
        { type: "email", template: "project-tips" },
      ],
    });
    const v2 = await ws.call(`/automation/onboarding-flows/${flow.id}`, "PATCH", {
      steps: [
        { type: "email", template: "welcome" },
        { type: "milestone", slug: "first_project" },
        { id: "email_4", type: "email", template: "project-tips" },
      ],
    });
    expect(v2.json.version).toBe(2);

    const v1Welcome: [string, string, Outcome, number] = ["email_1", "email", "sent", 1];
    const run = (version: number, status: Status, started: string, current: number, history: [string, string, Outcome, number][]) =>
      insertRun(ws.workspace.id, flow.id, { version, status, started, current, history });
    await run(1, "completed", "2026-01-01T00:00:00.000Z", 4, [
      v1Welcome,
      ["email_2", "email", "sent", 50],
      ["first_project", "milestone", "reached", 100],
      ["email_4", "email", "sent", 101],
    ]);
    await run(1, "stopped", "2026-01-02T00:00:00.000Z", 1, [v1Welcome, ["email_2", "email", "skipped", 50]]);
    await run(1, "active", "2026-01-03T00:00:00.000Z", 2, [v1Welcome, ["email_2", "email", "sent", 50]]);
    await run(2, "completed", "2026-01-04T12:00:00.000Z", 3, [
      v1Welcome,
      ["first_project", "milestone", "reached", 300],
      ["email_4", "email", "failed", 301],
    ]);
    await run(2, "active", "2026-01-05T00:00:00.000Z", 0, []);
    await run(1, "completed", "2026-01-06T06:30:00.000Z", 4, [
      v1Welcome,
      ["email_2", "email", "sent", 50],
      ["first_project", "milestone", "reached", 200],
      ["email_4", "email", "sent", 201],
    ]);
    await run(1, "cancelled", "2026-01-07T00:00:00.000Z", 1, [v1Welcome]);
    await run(1, "stopped", "2026-01-08T00:00:00.000Z", 2, [
      v1Welcome,
      ["email_2", "email", "sent", 50],
      ["first_project", "milestone", "timed_out", 604_800],
    ]);
    await run(2, "completed", "2026-01-09T23:59:59.500Z", 3, [
      v1Welcome,
      ["first_project", "milestone", "reached", 1000],
      ["email_4", "email", "sent", 1001],
    ]);
    // The engine records a step before it moves current_step on: such a run counts at the step once.
    await run(2, "active", "2026-01-10T00:00:00.000Z", 0, [v1Welcome]);
    const other = await ws.create({ name: "Other", slug: "other", steps: [{ type: "email", template: "welcome" }] });
    await insertRun(ws.workspace.id, other.id, {
      version: 1,
      status: "completed",
      started: "2026-01-01T00:00:00.000Z",
      current: 1,
      history: [v1Welcome],
    });

    expect(await ws.progress(flow.id)).toEqual({
      flow_id: flow.id,
      version: 2,
      enrolled: 10,
      active: 3,
      completed: 4,
      stopped: 2,
      cancelled: 1,
      completion_rate: 0.4,
      steps: [
        { step_id: "email_1", type: "email", reached: 10, active: 1, sent: 9, skipped: 0, failed: 0, timed_out: 0 },
        { step_id: "first_project", type: "milestone", reached: 6, active: 1, sent: 0, skipped: 0, failed: 0, timed_out: 1 },
        { step_id: "email_4", type: "email", reached: 4, active: 0, sent: 3, skipped: 0, failed: 1, timed_out: 0 },
        { step_id: "email_2", type: "email", reached: 5, active: 0, sent: 4, skipped: 1, failed: 0, timed_out: 0 },
      ],
      milestones: [{ slug: "first_project", reached: 4, median_seconds_to_reach: 250 }],
    });
  });

  it("takes the middle value of an odd count and follows a milestone whose step id is not its slug", async () => {
    const ws = await setup();
    const flow = await ws.create({
      name: "Projects",
      slug: "projects",
      steps: [{ id: "wait_for_project", type: "milestone", slug: "first_project" }],
    });
    for (const seconds of [30, 7200, 45]) {
      await insertRun(ws.workspace.id, flow.id, {
        version: 1,
        status: "completed",
        started: "2026-03-01T10:00:00.000Z",
        current: 1,
        history: [["wait_for_project", "milestone", "reached", seconds]],
      });
    }
    const stats = await ws.progress(flow.id);
    expect(stats.milestones).toEqual([{ slug: "first_project", reached: 3, median_seconds_to_reach: 45 }]);
    expect(stats.completion_rate).toBe(1);
  });

  it("answers zeros, a null rate and null medians for a flow nobody has entered", async () => {
    const ws = await setup();
    const flow = await ws.create({
      name: "Empty",
      slug: "empty",
      steps: [
        { type: "wait", delay: 60 },
        { type: "milestone", slug: "activated" },
      ],
    });
    expect(await ws.progress(flow.id)).toEqual({
      flow_id: flow.id,
      version: 1,
      enrolled: 0,
      active: 0,
      completed: 0,
      stopped: 0,
      cancelled: 0,
      completion_rate: null,
      steps: [
        { step_id: "wait_1", type: "wait", reached: 0, active: 0, sent: 0, skipped: 0, failed: 0, timed_out: 0 },
        { step_id: "activated", type: "milestone", reached: 0, active: 0, sent: 0, skipped: 0, failed: 0, timed_out: 0 },
      ],
      milestones: [{ slug: "activated", reached: 0, median_seconds_to_reach: null }],
    });
    expect((await ws.call("/automation/onboarding-flows/flw_unknown/progress")).status).toBe(404);
  });
});
