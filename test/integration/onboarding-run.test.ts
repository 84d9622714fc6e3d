import { introspectWorkflow, type WorkflowIntrospector } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { capturedMessages, subscriberMilestones, subscribers, userOnboardingProgress } from "../../src/db/schema";
import { reachMilestone } from "../../src/domain/onboarding/milestones";
import { api } from "../factories/api";
import { db } from "../factories/campaigns";
import {
  capturedSubjects,
  emailStep,
  insertFlow,
  insertFlowVersion,
  type OnboardingSetup,
  onboardingSetup,
  progressHistory,
  readProgress,
  recipientsOf,
} from "../factories/onboarding";

const deps = { db, env };
const DAY = 86_400;

const enroll = (setup: OnboardingSetup, flowId: string, body: unknown) =>
  setup.marketing(`/automation/onboarding-flows/${flowId}/enroll`, "POST", body);

/** The one instance the test started since it began introspecting. */
async function onlyInstance(introspector: WorkflowIntrospector) {
  const instances = await introspector.get();
  expect(instances).toHaveLength(1);
  return instances[0];
}

/**
 * Lets a run held in a `step.sleep` go on, as if the time had passed: pausing aborts the run, and when it resumes
 * the Workflow replays it to the sleep, which the modifier now ends at once.
 */
async function endSleep(progressId: string, instance: Awaited<ReturnType<typeof onlyInstance>>, sleepStep: string) {
  const handle = await env.ONBOARDING_WORKFLOW.get(progressId);
  await handle.pause();
  await instance.modify(async (m) => {
    await m.disableSleeps([{ name: sleepStep }]);
  });
  await handle.resume();
}

const outcomes = async (progressId: string) =>
  (await progressHistory(progressId)).map((s) => [s.step_id, s.outcome, ...(s.reason ? [s.reason] : [])]);

describe("the spec's New User Welcome flow", () => {
  it("sends welcome now, getting_started a day later, waits for first_project, then sends project_tips, each once", async () => {
    const setup = await onboardingSetup(["welcome", "getting_started", "project_tips"]);
    const flow = await insertFlow(setup.workspace.id, [
      emailStep(setup, "welcome", 0, "email_1"),
      { id: "wait_2", type: "wait", delay: DAY },
      emailStep(setup, "getting_started", 0, "email_3"),
      { id: "first_project", type: "milestone", slug: "first_project", timeout: null, on_timeout: "stop" },
      emailStep(setup, "project_tips", 0, "email_5"),
    ]);
    const user = setup.subscribers[0];
    await using introspector = await introspectWorkflow(env.ONBOARDING_WORKFLOW);

    const enrolled = await enroll(setup, flow.id, { subscriber_id: user.id });
    expect(enrolled.status).toBe(201);
    expect(enrolled.json).toMatchObject({
      flow_id: flow.id,
      flow_version: 1,
      subscriber_id: user.id,
      status: "active",
      enrolled_by: "api",
    });
    const progressId = enrolled.json.id;
    const instance = await onlyInstance(introspector);

    await instance.waitForStepResult({ name: "1 wait wait_2: enter" });
    const waiting = await readProgress(progressId);
    expect(waiting).toMatchObject({ status: "active", current_step: 1 });
    const dayLater = Date.parse(waiting?.next_step_at as string) - Date.parse(waiting?.updated_at as string);
    expect(dayLater).toBe(DAY * 1000);
    expect(await capturedSubjects(setup, "welcome")).toEqual(["welcome"]);
    expect(await capturedSubjects(setup, "getting_started")).toEqual([]);

    await endSleep(progressId, instance, "1 wait wait_2: sleep");
    expect(await instance.waitForStepResult({ name: "3 milestone first_project: reached before" })).toBe(false);
    expect(await readProgress(progressId)).toMatchObject({ status: "active", current_step: 3 });
    expect(await capturedSubjects(setup, "getting_started")).toEqual(["getting_started"]);
    expect(await capturedSubjects(setup, "project_tips")).toEqual([]);

    expect(await reachMilestone(deps, setup.workspace.id, user.id, "first_project", new Date())).toEqual({ woken: 1 });
    await instance.waitForStatus("complete");

    for (const name of ["welcome", "getting_started", "project_tips"]) {
      expect(await capturedSubjects(setup, name)).toEqual([name]);
      expect((await recipientsOf(setup, name)).map((r) => [r.subscriber_id, r.status])).toEqual([[user.id, "sent"]]);
    }
    const read = await setup.marketing(`/onboarding/${progressId}`);
    expect(read.status).toBe(200);
    expect(read.json).toMatchObject({ status: "completed", stop_reason: null, completed_steps: [0, 1, 2, 3, 4] });
    expect(read.json.completed_at).toEqual(expect.any(String));
    expect(read.json.steps.map((s: { step_id: string; outcome: string }) => [s.step_id, s.outcome])).toEqual([
      ["email_1", "sent"],
      ["wait_2", "waited"],
      ["email_3", "sent"],
      ["first_project", "reached"],
      ["email_5", "sent"],
    ]);
  });

  it("does not wait for a milestone the user reached before the flow got there", async () => {
    const setup = await onboardingSetup(["project_tips"]);
    const flow = await insertFlow(setup.workspace.id, [
      { id: "first_project", type: "milestone", slug: "first_project", timeout: 3600, on_timeout: "stop" },
      emailStep(setup, "project_tips"),
    ]);
    const user = setup.subscribers[0];
    expect(await reachMilestone(deps, setup.workspace.id, user.id, "first_project", new Date())).toEqual({ woken: 0 });
    await using introspector = await introspectWorkflow(env.ONBOARDING_WORKFLOW);
    const enrolled = await enroll(setup, flow.id, { subscriber_id: user.id });
    const instance = await onlyInstance(introspector);
    expect(await instance.waitForStepResult({ name: "0 milestone first_project: reached before" })).toBe(true);
    await instance.waitForStatus("complete");
    expect(await outcomes(enrolled.json.id)).toEqual([
      ["first_project", "reached"],
      ["project_tips", "sent"],
    ]);
  });

  it("wakes a run waiting on a milestone named by its step id, recording the milestone's slug", async () => {
    const setup = await onboardingSetup(["project_tips"]);
    const flow = await insertFlow(setup.workspace.id, [
      { id: "created_project", type: "milestone", slug: "first_project", timeout: 3600, on_timeout: "stop" },
      emailStep(setup, "project_tips"),
    ]);
    const user = setup.subscribers[0];
    await using introspector = await introspectWorkflow(env.ONBOARDING_WORKFLOW);
    const enrolled = await enroll(setup, flow.id, { subscriber_id: user.id });
    const instance = await onlyInstance(introspector);
    expect(await instance.waitForStepResult({ name: "0 milestone created_project: reached before" })).toBe(false);

    expect(await reachMilestone(deps, setup.workspace.id, user.id, "created_project", new Date())).toEqual({ woken: 1 });
    await instance.waitForStatus("complete");
    expect(await outcomes(enrolled.json.id)).toEqual([
      ["created_project", "reached"],
      ["project_tips", "sent"],
    ]);
    const recorded = await db
      .select({ slug: subscriberMilestones.slug })
      .from(subscriberMilestones)
      .where(eq(subscriberMilestones.subscriber_id, user.id));
    expect(recorded.map((r) => r.slug)).toContain("first_project");
  });
});

describe("the spec's New User Welcome flow defined through the API", () => {
  it("runs from the flow API's definition: template slugs resolved to the flow's own campaigns, each email once", async () => {
    const setup = await onboardingSetup([]);
    const user = setup.subscribers[0];
    for (const slug of ["welcome", "getting-started", "project-tips"]) {
      const res = await setup.marketing("/templates", "POST", {
        name: slug,
        slug,
        subject_template: slug,
        body_html: `<p>${slug}</p><a href="{{ unsubscribe_url }}">Unsubscribe</a>`,
      });
      expect(res.status, res.text).toBe(201);
    }
    const created = await setup.marketing("/automation/onboarding-flows", "POST", {
      name: "New User Welcome",
      slug: "new_user",
      steps: [
        { type: "email", delay: 0, template: "welcome" },
        { type: "wait", delay: DAY },
        { type: "email", delay: 0, template: "getting-started" },
        { type: "milestone", slug: "first_project" },
        { type: "email", delay: 0, template: "project-tips" },
      ],
    });
    expect(created.status, created.text).toBe(201);
    const campaignOf = (stepId: string) => created.json.steps.find((s: { id: string }) => s.id === stepId).campaign_id as string;
    const subjects = async (stepId: string) =>
      (
        await db
          .select()
          .from(capturedMessages)
          .where(eq(capturedMessages.campaign_id, campaignOf(stepId)))
      ).map((m) => m.subject);

    await using introspector = await introspectWorkflow(env.ONBOARDING_WORKFLOW);
    const enrolled = await enroll(setup, created.json.id, { email: user.email });
    expect(enrolled.status).toBe(201);
    expect(enrolled.json.subscriber_id).toBe(user.id);
    const instance = await onlyInstance(introspector);
    await instance.waitForStepResult({ name: "1 wait wait_2: enter" });
    expect([await subjects("email_1"), await subjects("email_3")]).toEqual([["welcome"], []]);

    await endSleep(enrolled.json.id, instance, "1 wait wait_2: sleep");
    expect(await instance.waitForStepResult({ name: "3 milestone first_project: reached before" })).toBe(false);
    expect([await subjects("email_3"), await subjects("email_5")]).toEqual([["getting-started"], []]);
    expect(await reachMilestone(deps, setup.workspace.id, user.id, "first_project", new Date())).toEqual({ woken: 1 });
    await instance.waitForStatus("complete");

    expect([await subjects("email_1"), await subjects("email_3"), await subjects("email_5")]).toEqual([
      ["welcome"],
      ["getting-started"],
      ["project-tips"],
    ]);
    const listed = await setup.marketing(`/subscribers/${user.id}/onboarding`);
    expect(listed.json.data).toEqual([
      expect.objectContaining({ id: enrolled.json.id, flow_slug: "new_user", status: "completed", completed_steps: [0, 1, 2, 3, 4] }),
    ]);
    const stats = await setup.marketing(`/automation/onboarding-flows/${created.json.id}/progress`);
    expect(stats.json).toMatchObject({ enrolled: 1, completed: 1, completion_rate: 1 });
  });
});

describe("an email step run again by the Workflow", () => {
  it("sends nothing the second time when the instance restarts from the step after it sent", async () => {
    const setup = await onboardingSetup(["welcome", "getting_started"]);
    const flow = await insertFlow(setup.workspace.id, [
      emailStep(setup, "welcome"),
      { id: "wait_2", type: "wait", delay: DAY },
      emailStep(setup, "getting_started"),
    ]);
    await using introspector = await introspectWorkflow(env.ONBOARDING_WORKFLOW);
    const enrolled = await enroll(setup, flow.id, { subscriber_id: setup.subscribers[0].id });
    const instance = await onlyInstance(introspector);
    await instance.waitForStepResult({ name: "1 wait wait_2: enter" });
    expect(await capturedSubjects(setup, "welcome")).toEqual(["welcome"]);

    await instance.modify(async (m) => {
      await m.disableSleeps();
    });
    await (await env.ONBOARDING_WORKFLOW.get(enrolled.json.id)).restart({ from: { name: "0 email welcome: send", type: "do" } });
    await instance.waitForStatus("complete");
    expect(await capturedSubjects(setup, "welcome")).toEqual(["welcome"]);
    expect(await capturedSubjects(setup, "getting_started")).toEqual(["getting_started"]);
    expect(await recipientsOf(setup, "welcome")).toHaveLength(1);
    expect(await outcomes(enrolled.json.id)).toEqual([
      ["welcome", "sent"],
      ["wait_2", "waited"],
      ["getting_started", "sent"],
    ]);
  });
});

describe("a step that keeps failing", () => {
  it("ends the run stopped with step_failed, so the user is not left active with no instance and can enroll again", async () => {
    const setup = await onboardingSetup(["welcome"]);
    const flow = await insertFlow(setup.workspace.id, [emailStep(setup, "welcome")]);
    await using introspector = await introspectWorkflow(env.ONBOARDING_WORKFLOW);
    await introspector.modifyAll(async (m) => {
      await m.disableRetryDelays();
      await m.mockStepError({ name: "0 email welcome: send" }, new Error("D1 unavailable"));
    });
    const enrolled = await enroll(setup, flow.id, { subscriber_id: setup.subscribers[0].id });
    await (await onlyInstance(introspector)).waitForStatus("errored");
    expect(await readProgress(enrolled.json.id)).toMatchObject({ status: "stopped", stop_reason: "step_failed" });
    expect((await enroll(setup, flow.id, { subscriber_id: setup.subscribers[0].id })).status).toBe(201);
  });
});

describe("milestone timeouts", () => {
  const timingOut = async (onTimeout: "continue" | "stop") => {
    const setup = await onboardingSetup(["project_tips"]);
    const flow = await insertFlow(setup.workspace.id, [
      { id: "first_project", type: "milestone", slug: "first_project", timeout: 3 * DAY, on_timeout: onTimeout },
      emailStep(setup, "project_tips"),
    ]);
    await using introspector = await introspectWorkflow(env.ONBOARDING_WORKFLOW);
    await introspector.modifyAll(async (m) => {
      await m.forceEventTimeout({ name: "0 milestone first_project: wait" });
    });
    const enrolled = await enroll(setup, flow.id, { subscriber_id: setup.subscribers[0].id });
    await (await onlyInstance(introspector)).waitForStatus("complete");
    return { setup, progressId: enrolled.json.id as string };
  };

  it("goes on to the next step when the step says continue", async () => {
    const { setup, progressId } = await timingOut("continue");
    expect(await outcomes(progressId)).toEqual([
      ["first_project", "timed_out", `milestone first_project not reached within ${3 * DAY} seconds`],
      ["project_tips", "sent"],
    ]);
    expect(await readProgress(progressId)).toMatchObject({ status: "completed", stop_reason: null });
    expect(await capturedSubjects(setup, "project_tips")).toEqual(["project_tips"]);
  });

  it("stops the flow with stop_reason milestone_timeout when the step says stop", async () => {
    const { setup, progressId } = await timingOut("stop");
    expect(await outcomes(progressId)).toEqual([
      ["first_project", "timed_out", `milestone first_project not reached within ${3 * DAY} seconds`],
    ]);
    expect(await readProgress(progressId)).toMatchObject({ status: "stopped", stop_reason: "milestone_timeout", completed_at: null });
    expect(await capturedSubjects(setup, "project_tips")).toEqual([]);
  });
});

describe("users who cannot be mailed", () => {
  const unsubscribedRun = async (onUnsubscribe?: "stop" | "continue") => {
    const setup = await onboardingSetup(["welcome", "getting_started"]);
    const flow = await insertFlow(setup.workspace.id, [emailStep(setup, "welcome"), emailStep(setup, "getting_started")], {
      on_unsubscribe: onUnsubscribe,
    });
    const user = setup.subscribers[0];
    await db.update(subscribers).set({ status: "unsubscribed" }).where(eq(subscribers.id, user.id));
    await using introspector = await introspectWorkflow(env.ONBOARDING_WORKFLOW);
    const enrolled = await enroll(setup, flow.id, { subscriber_id: user.id });
    await (await onlyInstance(introspector)).waitForStatus("complete");
    return { setup, progressId: enrolled.json.id as string };
  };

  it("records an unsubscribed user's email step as skipped with the reason and stops the flow by default", async () => {
    const { setup, progressId } = await unsubscribedRun();
    expect(await outcomes(progressId)).toEqual([["welcome", "skipped", "unsubscribed"]]);
    expect(await readProgress(progressId)).toMatchObject({ status: "stopped", stop_reason: "unsubscribed" });
    expect(await capturedSubjects(setup, "welcome")).toEqual([]);
    expect(await capturedSubjects(setup, "getting_started")).toEqual([]);
    expect((await recipientsOf(setup, "welcome")).map((r) => [r.status, r.failure_reason])).toEqual([["failed", "unsubscribed"]]);
  });

  it("goes on, skipping every email, when the flow says on_unsubscribe continue", async () => {
    const { setup, progressId } = await unsubscribedRun("continue");
    expect(await outcomes(progressId)).toEqual([
      ["welcome", "skipped", "unsubscribed"],
      ["getting_started", "skipped", "unsubscribed"],
    ]);
    expect(await readProgress(progressId)).toMatchObject({ status: "completed", stop_reason: null });
    expect(await capturedSubjects(setup, "getting_started")).toEqual([]);
  });

  it("records a suppressed address's email as skipped with the suppression", async () => {
    const setup = await onboardingSetup(["welcome"]);
    const flow = await insertFlow(setup.workspace.id, [emailStep(setup, "welcome")]);
    await setup.marketing("/suppressions", "POST", { email: setup.subscribers[0].email });
    await using introspector = await introspectWorkflow(env.ONBOARDING_WORKFLOW);
    const enrolled = await enroll(setup, flow.id, { subscriber_id: setup.subscribers[0].id });
    await (await onlyInstance(introspector)).waitForStatus("complete");
    const [step] = await progressHistory(enrolled.json.id);
    expect(step).toMatchObject({ outcome: "skipped", reason: expect.stringMatching(/^suppression_list/) });
    expect(await readProgress(enrolled.json.id)).toMatchObject({ status: "stopped", stop_reason: "suppression_list" });
    expect(await capturedSubjects(setup, "welcome")).toEqual([]);
  });
});

describe("branches", () => {
  it("records the decision on the progress and in the history, and follows it", async () => {
    const setup = await onboardingSetup(["basic_tips", "pro_tips"], {
      subscribers: [
        { email: "pro@example.com", attributes: { plan: "pro" } },
        { email: "free@example.com", attributes: { plan: "free" } },
      ],
    });
    const flow = await insertFlow(setup.workspace.id, [
      {
        id: "plan",
        type: "branch",
        condition: { field: "attributes.plan", op: "eq", value: "pro" },
        if_true: { step: "pro_tips" },
        if_false: "next",
      },
      emailStep(setup, "basic_tips"),
      emailStep(setup, "pro_tips"),
    ]);
    const run = async (email: string) => {
      const user = setup.subscribers.find((s) => s.email === email);
      await using introspector = await introspectWorkflow(env.ONBOARDING_WORKFLOW);
      const enrolled = await enroll(setup, flow.id, { subscriber_id: user?.id });
      await (await onlyInstance(introspector)).waitForStatus("complete");
      return enrolled.json.id as string;
    };

    const pro = await run("pro@example.com");
    expect(await outcomes(pro)).toEqual([
      ["plan", "branched", "true → pro_tips"],
      ["pro_tips", "sent"],
    ]);
    const read = await setup.marketing(`/onboarding/${pro}`);
    expect(read.json.decisions).toEqual({ plan: { result: true, target: { step: "pro_tips" }, at: expect.any(String) } });

    const free = await run("free@example.com");
    expect(await outcomes(free)).toEqual([
      ["plan", "branched", "false → next"],
      ["basic_tips", "sent"],
      ["pro_tips", "sent"],
    ]);
    expect((await readProgress(free))?.decisions).toEqual({ plan: { result: false, target: "next", at: expect.any(String) } });
    expect((await recipientsOf(setup, "basic_tips")).map((r) => r.email)).toEqual(["free@example.com"]);
  });
});

describe("enrollment", () => {
  it("puts a user in a flow at most once at a time, however many enrolls arrive together", async () => {
    const setup = await onboardingSetup([]);
    const flow = await insertFlow(setup.workspace.id, [{ id: "wait_1", type: "wait", delay: DAY }]);
    await using introspector = await introspectWorkflow(env.ONBOARDING_WORKFLOW);
    const answers = await Promise.all([1, 2, 3, 4].map(() => enroll(setup, flow.id, { subscriber_id: setup.subscribers[0].id })));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 200, 201]);
    expect(new Set(answers.map((a) => a.json.id)).size).toBe(1);
    expect(await introspector.get()).toHaveLength(1);
    const listed = await setup.marketing(`/subscribers/${setup.subscribers[0].id}/onboarding`);
    expect(listed.json.data.map((p: { id: string; status: string }) => [p.id, p.status])).toEqual([[answers[0].json.id, "active"]]);
  });

  it("enrolls by email, creating the subscriber, and refuses unknown subscribers, bad bodies and inactive flows", async () => {
    const setup = await onboardingSetup([]);
    const flow = await insertFlow(setup.workspace.id, [{ id: "wait_1", type: "wait", delay: DAY }]);
    await using introspector = await introspectWorkflow(env.ONBOARDING_WORKFLOW);

    const byEmail = await enroll(setup, flow.id, { email: "Fresh.User@Example.com" });
    expect(byEmail.status).toBe(201);
    const created = await db.select().from(subscribers).where(eq(subscribers.id, byEmail.json.subscriber_id)).get();
    expect(created).toMatchObject({ email: "fresh.user@example.com", workspace_id: setup.workspace.id });
    expect((await enroll(setup, flow.id, { email: "fresh.user@example.com" })).json.id).toBe(byEmail.json.id);

    const unknown = await enroll(setup, flow.id, { subscriber_id: "sub_nope" });
    expect(unknown.status).toBe(422);
    expect(unknown.json.errors).toEqual([expect.objectContaining({ path: "subscriber_id" })]);
    const badEmail = await enroll(setup, flow.id, { email: "not-an-address" });
    expect(badEmail.status).toBe(422);
    expect(badEmail.json.errors).toEqual([expect.objectContaining({ path: "email" })]);
    const both = await enroll(setup, flow.id, { email: "a@example.com", subscriber_id: setup.subscribers[0].id });
    expect(both.status).toBe(422);
    expect(both.json.errors).toEqual([expect.objectContaining({ path: "subscriber_id" })]);
    expect((await enroll(setup, "obf_nope", { subscriber_id: setup.subscribers[0].id })).status).toBe(404);

    const inactive = await insertFlow(setup.workspace.id, [{ id: "wait_1", type: "wait", delay: DAY }], { is_active: false });
    expect((await enroll(setup, inactive.id, { subscriber_id: setup.subscribers[0].id })).status).toBe(409);
    expect(await introspector.get()).toHaveLength(1);
  });

  it("keeps a user on the version they started when the flow is edited meanwhile; new users get the new version", async () => {
    const setup = await onboardingSetup(["welcome", "getting_started", "project_tips"], {
      subscribers: [{ email: "early@example.com" }, { email: "late@example.com" }],
    });
    const [early, late] = ["early@example.com", "late@example.com"].map((e) => setup.subscribers.find((s) => s.email === e)?.id);
    const flow = await insertFlow(setup.workspace.id, [
      emailStep(setup, "welcome"),
      { id: "wait_2", type: "wait", delay: DAY },
      emailStep(setup, "getting_started"),
    ]);
    await using introspector = await introspectWorkflow(env.ONBOARDING_WORKFLOW);
    const first = await enroll(setup, flow.id, { subscriber_id: early });
    const instance = await onlyInstance(introspector);
    await instance.waitForStepResult({ name: "1 wait wait_2: enter" });

    await insertFlowVersion(setup.workspace.id, flow.id, 2, [emailStep(setup, "project_tips")]);
    await endSleep(first.json.id, instance, "1 wait wait_2: sleep");
    await instance.waitForStatus("complete");
    expect(await outcomes(first.json.id)).toEqual([
      ["welcome", "sent"],
      ["wait_2", "waited"],
      ["getting_started", "sent"],
    ]);
    expect((await readProgress(first.json.id))?.flow_version).toBe(1);
    expect(await capturedSubjects(setup, "project_tips")).toEqual([]);

    const second = await enroll(setup, flow.id, { subscriber_id: late });
    expect(second.json.flow_version).toBe(2);
    const [, secondInstance] = await introspector.get();
    await secondInstance.waitForStatus("complete");
    expect((await recipientsOf(setup, "project_tips")).map((r) => r.subscriber_id)).toEqual([late]);
  });
});

describe("cancel", () => {
  it("stops the run: no further email, the instance terminated, and 409 when it is no longer active", async () => {
    const setup = await onboardingSetup(["welcome"]);
    const flow = await insertFlow(setup.workspace.id, [{ id: "wait_1", type: "wait", delay: DAY }, emailStep(setup, "welcome")]);
    await using introspector = await introspectWorkflow(env.ONBOARDING_WORKFLOW);
    const enrolled = await enroll(setup, flow.id, { subscriber_id: setup.subscribers[0].id });
    const instance = await onlyInstance(introspector);
    await instance.waitForStepResult({ name: "0 wait wait_1: enter" });

    const cancelled = await setup.marketing(`/onboarding/${enrolled.json.id}/cancel`, "POST");
    expect(cancelled.status).toBe(200);
    expect(cancelled.json).toMatchObject({ status: "cancelled", stop_reason: "cancelled_by_api" });
    await instance.waitForStatus("terminated");
    expect(await capturedSubjects(setup, "welcome")).toEqual([]);
    expect((await setup.marketing(`/onboarding/${enrolled.json.id}/cancel`, "POST")).status).toBe(409);

    const again = await enroll(setup, flow.id, { subscriber_id: setup.subscribers[0].id });
    expect(again.status).toBe(201);
    expect(again.json.id).not.toBe(enrolled.json.id);
  });

  it("ends a run at its next step when its progress was ended while the instance slept", async () => {
    const setup = await onboardingSetup(["welcome"]);
    const flow = await insertFlow(setup.workspace.id, [emailStep(setup, "welcome", DAY)]);
    await using introspector = await introspectWorkflow(env.ONBOARDING_WORKFLOW);
    const enrolled = await enroll(setup, flow.id, { subscriber_id: setup.subscribers[0].id });
    const instance = await onlyInstance(introspector);
    await instance.waitForStepResult({ name: "0 email welcome: enter" });
    // As if the cancel's terminate never reached the instance.
    await db.update(userOnboardingProgress).set({ status: "cancelled" }).where(eq(userOnboardingProgress.id, enrolled.json.id));
    await endSleep(enrolled.json.id, instance, "0 email welcome: delay");
    await instance.waitForStatus("complete");
    expect(await instance.getOutput()).toEqual({ ended: "inactive" });
    expect(await capturedSubjects(setup, "welcome")).toEqual([]);
  });
});

describe("workspaces", () => {
  it("answers 404 for another workspace's flow, progress and subscriber, and 422 for its subscriber in a body", async () => {
    const mine = await onboardingSetup([]);
    const theirs = await onboardingSetup([]);
    const flow = await insertFlow(theirs.workspace.id, [{ id: "wait_1", type: "wait", delay: DAY }]);
    const myFlow = await insertFlow(mine.workspace.id, [{ id: "wait_1", type: "wait", delay: DAY }]);
    await using introspector = await introspectWorkflow(env.ONBOARDING_WORKFLOW);
    const theirProgress = await enroll(theirs, flow.id, { subscriber_id: theirs.subscribers[0].id });
    expect(theirProgress.status).toBe(201);

    expect((await enroll(mine, flow.id, { subscriber_id: mine.subscribers[0].id })).status).toBe(404);
    expect((await mine.marketing(`/onboarding/${theirProgress.json.id}`)).status).toBe(404);
    expect((await mine.marketing(`/onboarding/${theirProgress.json.id}/cancel`, "POST")).status).toBe(404);
    expect((await mine.marketing(`/subscribers/${theirs.subscribers[0].id}/onboarding`)).status).toBe(404);
    const foreignSubscriber = await enroll(mine, myFlow.id, { subscriber_id: theirs.subscribers[0].id });
    expect(foreignSubscriber.status).toBe(422);
    expect(foreignSubscriber.json.errors).toEqual([expect.objectContaining({ path: "subscriber_id" })]);
    expect((await theirs.marketing(`/onboarding/${theirProgress.json.id}`)).json.status).toBe("active");
    expect(await introspector.get()).toHaveLength(1);
    expect((await api(`/workspaces/${mine.workspace.id}/email-marketing/onboarding/${theirProgress.json.id}`)).status).toBe(401);
  });
});
