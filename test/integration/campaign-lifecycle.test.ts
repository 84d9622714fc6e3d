import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import type { CampaignDispatcher } from "../../durable-objects/campaign-dispatcher.do";
import { createDb } from "../../src/db/client";
import { campaignRecipients, emailCampaigns } from "../../src/db/schema";
import { getCampaign } from "../../src/domain/campaigns/campaigns";
import { assertReadyToSend, type CampaignAction, startRun } from "../../src/domain/campaigns/lifecycle";
import { nextOccurrence } from "../../src/domain/campaigns/schedule";
import { ConflictError } from "../../src/domain/errors";
import { newId } from "../../src/lib/ids";
import { ADMIN_TOKEN, api } from "../factories/api";
import { campaignWorkspace, insertSendingDomain } from "../factories/campaigns";

const db = () => createDb(env.DB);
const inAnHour = () => new Date(Date.now() + 3_600_000).toISOString();
const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();

type Setup = Awaited<ReturnType<typeof campaignWorkspace>>;
type State = "draft" | "scheduled" | "sending" | "sent" | "paused" | "cancelled";

/** A campaign brought to `state` through the API (sent has no API path: the engine sets it). */
async function campaignIn(setup: Setup, state: State): Promise<string> {
  const { campaigns, draft } = setup;
  const { id } = await draft({ scheduled_at: inAnHour() });
  const act = async (action: string) => {
    const res = await campaigns(`/${id}/${action}`, "POST", action === "schedule" ? {} : undefined);
    if (res.status !== 200) throw new Error(`${action}: ${res.status} ${res.text}`);
  };
  if (state === "scheduled" || state === "cancelled") await act("schedule");
  if (state === "sending" || state === "paused" || state === "sent") await act("send");
  if (state === "paused") await act("pause");
  if (state === "cancelled") await act("cancel");
  if (state === "sent") await db().update(emailCampaigns).set({ status: "sent", current_run_id: null }).where(eq(emailCampaigns.id, id));
  return id;
}

const LEGAL: Record<State, Partial<Record<CampaignAction, State>>> = {
  draft: { schedule: "scheduled", send: "sending" },
  scheduled: { send: "sending", pause: "paused", cancel: "cancelled" },
  sending: { pause: "paused" },
  sent: {},
  paused: { resume: "sending", cancel: "cancelled" },
  cancelled: {},
};
const STATES = Object.keys(LEGAL) as State[];
const ACTIONS: CampaignAction[] = ["schedule", "send", "pause", "resume", "cancel"];

const progressOf = (runId: string) =>
  runInDurableObject(env.CAMPAIGN_DISPATCHER.getByName(runId), (instance: CampaignDispatcher) => instance.progress());

describe("campaign lifecycle", () => {
  describe.each(STATES)("from %s", (state) => {
    it.each(ACTIONS)(
      `%s is ${state === "sent" || state === "cancelled" ? "refused" : "legal or a 409 naming the state"}`,
      async (action) => {
        const setup = await campaignWorkspace();
        const id = await campaignIn(setup, state);
        const res = await setup.campaigns(`/${id}/${action}`, "POST", action === "schedule" ? {} : undefined);
        const to = LEGAL[state][action];
        if (to) {
          expect(res.status, res.text).toBe(200);
          expect(res.json.status).toBe(to);
        } else {
          expect(res.status).toBe(409);
          expect(res.json.detail).toContain(`campaign is ${state}`);
          expect((await setup.campaigns(`/${id}`)).json.status).toBe(state);
        }
      },
    );
  });

  it("moves the run with the campaign: paused and resumed, each time waking its dispatcher", async () => {
    const setup = await campaignWorkspace();
    const id = await campaignIn(setup, "sending");
    const campaign = (await setup.campaigns(`/${id}`)).json;
    const runPath = `/${id}/runs/${campaign.current_run_id}`;
    expect((await setup.campaigns(runPath)).json.status).toBe("sending");
    await setup.campaigns(`/${id}/pause`, "POST");
    expect((await setup.campaigns(runPath)).json.status).toBe("paused");
    const resumed = await setup.campaigns(`/${id}/resume`, "POST");
    expect(resumed.json).toMatchObject({ status: "sending", current_run_id: campaign.current_run_id, run_count: 1 });
    expect((await setup.campaigns(runPath)).json.status).toBe("sending");
    expect(await progressOf(campaign.current_run_id)).toMatchObject({ run_id: campaign.current_run_id });
  });

  it("resumes a campaign paused before it started: back to scheduled before its time, a run now after it", async () => {
    const setup = await campaignWorkspace();
    const early = await campaignIn(setup, "scheduled");
    await setup.campaigns(`/${early}/pause`, "POST");
    expect((await setup.campaigns(`/${early}/resume`, "POST")).json).toMatchObject({ status: "scheduled", current_run_id: null });

    const late = await campaignIn(setup, "scheduled");
    await setup.campaigns(`/${late}/pause`, "POST");
    const dueAt = minutesAgo(5);
    await db().update(emailCampaigns).set({ scheduled_at: dueAt }).where(eq(emailCampaigns.id, late));
    const resumed = await setup.campaigns(`/${late}/resume`, "POST");
    expect(resumed.json).toMatchObject({ status: "sending", run_count: 1 });
    const run = (await setup.campaigns(`/${late}/runs/${resumed.json.current_run_id}`)).json;
    expect(run).toMatchObject({ status: "sending", scheduled_for: dueAt });
  });
});

describe("starting a run", () => {
  it("pins the template's version at the start and wakes the run's dispatcher", async () => {
    const setup = await campaignWorkspace();
    const campaign = await setup.draft();
    const edit = (subject: string) => setup.call(`email-marketing/templates/${setup.template.id}`, "PATCH", { subject_template: subject });
    expect((await edit("Second version")).json.version).toBe(2);
    const sent = await setup.campaigns(`/${campaign.id}/send`, "POST");
    expect(sent.json).toMatchObject({ status: "sending", template_version: 2, run_count: 1 });
    expect(sent.json.started_at).not.toBeNull();
    await edit("Third version");
    const run = (await setup.campaigns(`/${campaign.id}/runs/${sent.json.current_run_id}`)).json;
    expect(run).toMatchObject({ run_number: 1, template_id: setup.template.id, template_version: 2, status: "sending" });
    expect(await progressOf(run.id)).toMatchObject({ run_id: run.id });
  });

  it("starts one run for two concurrent sends", async () => {
    const setup = await campaignWorkspace();
    const campaign = await setup.draft();
    const answers = await Promise.all([1, 2].map(() => setup.campaigns(`/${campaign.id}/send`, "POST")));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409]);
    expect(answers.find((a) => a.status === 409)?.json.detail).toContain("campaign is sending");
    const runs = (await setup.campaigns(`/${campaign.id}/runs`)).json.data;
    expect(runs).toHaveLength(1);
    expect((await setup.campaigns(`/${campaign.id}`)).json).toMatchObject({ run_count: 1, current_run_id: runs[0].id });
  });

  it("writes no run when the campaign moved on after it was read", async () => {
    const setup = await campaignWorkspace();
    const { id } = await setup.draft();
    const stale = await getCampaign(db(), setup.workspace.id, id);
    const run = await startRun(db(), env, stale, new Date());
    await expect(startRun(db(), env, stale, new Date())).rejects.toThrow(ConflictError);
    await expect(startRun(db(), env, stale, new Date())).rejects.toThrow("campaign is sending");
    const runs = (await setup.campaigns(`/${id}/runs`)).json.data;
    expect(runs.map((r: { id: string }) => r.id)).toEqual([run.id]);
  });

  it("refuses (409) to schedule or send a campaign that has no template, no audience or no route", async () => {
    const setup = await campaignWorkspace();
    const cases: [Record<string, unknown>, string][] = [
      [{ template_id: null }, "without a template"],
      [{ list_id: null }, "without an audience"],
    ];
    for (const [overrides, detail] of cases) {
      const { id } = await setup.draft({ scheduled_at: inAnHour(), ...overrides });
      for (const action of ["schedule", "send"]) {
        const res = await setup.campaigns(`/${id}/${action}`, "POST", action === "schedule" ? {} : undefined);
        expect(res.status).toBe(409);
        expect(res.json.detail).toContain(detail);
      }
      expect((await setup.campaigns(`/${id}`)).json).toMatchObject({ status: "draft", run_count: 0 });
    }
    const noAudience = await getCampaign(db(), setup.workspace.id, (await setup.draft({ list_id: null })).id);
    expect((await assertReadyToSend(db(), noAudience, { audience: false })).id).toBe(setup.template.id);
    const filtersOnly = await setup.draft({ list_id: null, audience_filters: { field: "email", op: "exists" } });
    expect((await setup.campaigns(`/${filtersOnly.id}/send`, "POST")).status).toBe(200);

    const noProvider = await campaignWorkspace({ provider: null });
    const orphan = await noProvider.draft();
    expect((await noProvider.campaigns(`/${orphan.id}/send`, "POST")).json.detail).toContain("no email provider");

    const smtp = await campaignWorkspace({ provider: "smtp" });
    await env.DB.prepare("update sending_domains set status = 'pending' where workspace_id = ?").bind(smtp.workspace.id).run();
    const unverified = await smtp.draft();
    const refused = await smtp.campaigns(`/${unverified.id}/send`, "POST");
    expect(refused.status).toBe(409);
    expect(refused.json.detail).toContain("no verified, active or warming sending domain");
    await insertSendingDomain(smtp.workspace.id, "verified");
    expect((await smtp.campaigns(`/${unverified.id}/send`, "POST")).json.detail).toContain("no verified, active or warming sending domain");
    const warming = await insertSendingDomain(smtp.workspace.id, "warming");
    await smtp.call("email-infrastructure/identities", "POST", { domain_id: warming.id, email: `hi@${warming.domain}` });
    expect((await smtp.campaigns(`/${unverified.id}/send`, "POST")).status).toBe(200);
  });

  it("sends a triggered campaign only through trigger, never to an audience", async () => {
    const setup = await campaignWorkspace();
    const { id } = await setup.draft({ campaign_type: "triggered" });
    for (const action of ["schedule", "send"]) {
      const res = await setup.campaigns(`/${id}/${action}`, "POST", action === "schedule" ? { scheduled_at: inAnHour() } : undefined);
      expect(res.status).toBe(409);
      expect(res.json.detail).toContain("triggered");
    }
  });
});

describe("schedule", () => {
  it("needs a time in the future; a recurring campaign takes its next occurrence", async () => {
    const setup = await campaignWorkspace();
    const noTime = await setup.draft();
    const missing = await setup.campaigns(`/${noTime.id}/schedule`, "POST", {});
    expect(missing.status).toBe(422);
    expect(missing.json.errors.map((e: { path: string }) => e.path)).toEqual(["scheduled_at"]);
    const past = await setup.campaigns(`/${noTime.id}/schedule`, "POST", { scheduled_at: minutesAgo(1) });
    expect(past.json.errors.map((e: { path: string }) => e.path)).toEqual(["scheduled_at"]);
    const tooLate = await setup.campaigns(`/${noTime.id}/schedule`, "POST", { scheduled_at: "9999-12-31T23:00:00-12:00" });
    expect(tooLate.json.errors[0].message).toContain("before the year 10000");
    const at = new Date(Date.now() + 86_400_000).toISOString();
    expect((await setup.campaigns(`/${noTime.id}/schedule`, "POST", { scheduled_at: at })).json).toMatchObject({
      status: "scheduled",
      scheduled_at: at,
    });

    const weekly = await setup.draft({ campaign_type: "recurring", schedule: { cron: "0 9 * * 1", timezone: "Pacific/Auckland" } });
    const before = new Date();
    const scheduled = await setup.campaigns(`/${weekly.id}/schedule`, "POST", {});
    const expected = nextOccurrence("0 9 * * 1", "Pacific/Auckland", before);
    expect(scheduled.json).toMatchObject({ status: "scheduled", scheduled_at: expected?.toISOString() });
  });

  it("takes no body at all: the campaign's own scheduled_at or next occurrence is the time", async () => {
    const setup = await campaignWorkspace();
    const at = new Date(Date.now() + 86_400_000).toISOString();
    const timed = await setup.draft({ scheduled_at: at });
    expect((await setup.campaigns(`/${timed.id}/schedule`, "POST")).json).toMatchObject({ status: "scheduled", scheduled_at: at });
    const daily = await setup.draft({ campaign_type: "recurring", schedule: { cron: "0 9 * * *", timezone: "UTC" } });
    expect((await setup.campaigns(`/${daily.id}/schedule`, "POST")).json).toMatchObject({ status: "scheduled" });
  });
});

describe("cancel", () => {
  it("cancels the run and fails every recipient still pending with reason cancelled", async () => {
    const setup = await campaignWorkspace();
    const id = await campaignIn(setup, "paused");
    const { current_run_id: runId } = (await setup.campaigns(`/${id}`)).json;
    const statuses = ["pending", "pending", "sent", "sending", "failed"] as const;
    const rows = statuses.map((status, i) => ({
      id: newId("rcp", Date.now() + i),
      workspace_id: setup.workspace.id,
      campaign_id: id,
      run_id: runId,
      email: `r${i}@example.com`,
      status,
      failure_reason: status === "failed" ? "suppressed" : null,
    }));
    await db().insert(campaignRecipients).values(rows);
    const cancelled = await setup.campaigns(`/${id}/cancel`, "POST");
    expect(cancelled.json).toMatchObject({ status: "cancelled" });
    const run = (await setup.campaigns(`/${id}/runs/${runId}`)).json;
    expect(run.status).toBe("cancelled");
    expect(run.completed_at).not.toBeNull();
    const all = (await setup.campaigns(`/${id}/recipients`)).json.data as {
      status: string;
      email: string;
      failure_reason: string | null;
    }[];
    expect(run.failed_count, "cancel counts the recipients it fails").toBe(all.filter((r) => r.status === "failed").length);
    // The list's own reader may also have been walked by the dispatcher meanwhile: only the rows above are compared.
    const recipients = all.filter((r: { email: string }) => /^r\d@/.test(r.email));
    expect(recipients.map((r: { status: string; failure_reason: string | null }) => [r.status, r.failure_reason])).toEqual([
      ["failed", "cancelled"],
      ["failed", "cancelled"],
      ["sent", null],
      ["sending", null],
      ["failed", "suppressed"],
    ]);
  });
});

describe("check_scheduled_campaigns", () => {
  it("starts due one-time and recurring campaigns, leaves those not yet due, and starts each once", async () => {
    const setup = await campaignWorkspace();
    const oneTime = await campaignIn(setup, "scheduled");
    const recurring = await setup.draft({ campaign_type: "recurring", schedule: { cron: "*/5 * * * *", timezone: "Europe/Paris" } });
    await setup.campaigns(`/${recurring.id}/schedule`, "POST", {});
    const notYet = await campaignIn(setup, "scheduled");
    const dueAt = minutesAgo(2);
    for (const id of [oneTime, recurring.id]) {
      await db().update(emailCampaigns).set({ scheduled_at: dueAt }).where(eq(emailCampaigns.id, id));
    }

    const first = await api("/admin/jobs/check_scheduled_campaigns", { method: "POST", token: ADMIN_TOKEN });
    expect(first.json).toMatchObject({ status: "succeeded", error: null });
    for (const id of [oneTime, recurring.id]) {
      const campaign = (await setup.campaigns(`/${id}`)).json;
      expect(campaign).toMatchObject({ status: "sending", run_count: 1 });
      expect(first.json.result.run_ids).toContain(campaign.current_run_id);
      expect((await setup.campaigns(`/${id}/runs/${campaign.current_run_id}`)).json).toMatchObject({
        scheduled_for: dueAt,
        status: "sending",
      });
      expect(await progressOf(campaign.current_run_id)).toMatchObject({ run_id: campaign.current_run_id });
    }
    expect((await setup.campaigns(`/${notYet}`)).json).toMatchObject({ status: "scheduled", run_count: 0, current_run_id: null });

    const second = await api("/admin/jobs/check_scheduled_campaigns", { method: "POST", token: ADMIN_TOKEN });
    expect(second.json.result).toMatchObject({ started: 0 });
    for (const id of [oneTime, recurring.id]) expect((await setup.campaigns(`/${id}/runs`)).json.data).toHaveLength(1);
  });

  it("reports a due campaign that cannot send and leaves it scheduled", async () => {
    const setup = await campaignWorkspace();
    const id = await campaignIn(setup, "scheduled");
    await db()
      .update(emailCampaigns)
      .set({ scheduled_at: minutesAgo(1), template_id: null })
      .where(eq(emailCampaigns.id, id));
    const res = await api("/admin/jobs/check_scheduled_campaigns", { method: "POST", token: ADMIN_TOKEN });
    expect(res.json.result.failed).toContainEqual({ campaign_id: id, reason: expect.stringContaining("without a template") });
    expect((await setup.campaigns(`/${id}`)).json).toMatchObject({ status: "scheduled", run_count: 0 });
  });
});
