import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client";
import worker from "../../src/index";
import { CRON, type Job } from "../../src/jobs/job";
import { jobs } from "../../src/jobs/registry";
import { runScheduledJobs } from "../../src/jobs/runner";
import { ADMIN_TOKEN, api, createWorkspace } from "../factories/api";

const runsAt = (scheduledTime: number) =>
  env.DB.prepare("select job_name, trigger, cron, status from job_runs where started_at >= ? order by job_name")
    .bind(new Date(scheduledTime).toISOString())
    .all<{ job_name: string; trigger: string; cron: string; status: string }>();

describe("scheduled()", () => {
  it("runs exactly the jobs registered on each cron of wrangler.toml", async () => {
    for (const cron of Object.values(CRON)) {
      const before = Date.now();
      await worker.scheduled(createScheduledController({ cron, scheduledTime: before }), env);
      const { results } = await runsAt(before);
      const expected = jobs.filter((j) => j.cron === cron).map((j) => j.name);
      expect(
        results.map((r) => r.job_name),
        cron,
      ).toEqual(expected.sort());
      expect(results.every((r) => r.trigger === "cron" && r.cron === cron && r.status === "succeeded")).toBe(true);
    }
  });

  it("dispatches each cron string to its own jobs only, and records a failing job as failed", async () => {
    const calls: string[] = [];
    const job = (name: string, cron: Job["cron"], fail = false): Job => ({
      name,
      description: name,
      cron,
      async run() {
        calls.push(name);
        if (fail) throw new Error("boom");
        return { ok: true };
      },
    });
    const registry = [job("a_minute", CRON.everyMinute), job("b_hourly", CRON.hourly), job("c_daily", CRON.daily, true)];
    const ctx = { env, db: createDb(env.DB), now: new Date() };

    await runScheduledJobs(CRON.everyMinute, registry, ctx);
    expect(calls).toEqual(["a_minute"]);
    await runScheduledJobs(CRON.hourly, registry, ctx);
    expect(calls).toEqual(["a_minute", "b_hourly"]);
    await expect(runScheduledJobs(CRON.daily, registry, ctx)).rejects.toThrow(/c_daily \(boom\)/);
    const failed = await env.DB.prepare("select status, error from job_runs where job_name = 'c_daily'").first();
    expect(failed).toEqual({ status: "failed", error: "boom" });
  });
});

describe("/admin/jobs", () => {
  it("lists every job with its cron, and needs the admin token", async () => {
    expect((await api("/admin/jobs")).status).toBe(401);
    const { key } = await createWorkspace();
    expect((await api("/admin/jobs", { token: key })).status).toBe(401);

    const res = await api("/admin/jobs", { token: ADMIN_TOKEN });
    expect(res.status).toBe(200);
    expect(res.json.data.map((j: { name: string }) => j.name)).toEqual(jobs.map((j) => j.name));
    expect(res.json.data.every((j: { cron: string }) => Object.values(CRON).includes(j.cron as never))).toBe(true);
  });

  it("runs a job on demand and returns what it did", async () => {
    await env.DB.prepare(
      "insert into dead_letters (id, workspace_id, queue, message_id, body, attempts, reason, created_at) values (?, null, 'flarecast-send', 'm-1', '{}', 6, 'retries_exhausted', ?)",
    )
      .bind("dlq_manual_1", new Date().toISOString())
      .run();
    const res = await api("/admin/jobs/alert_dead_letters", { method: "POST", token: ADMIN_TOKEN });
    expect(res.status).toBe(200);
    expect(res.json.error).toBeNull();
    expect(res.json).toMatchObject({ job_name: "alert_dead_letters", trigger: "manual", status: "succeeded" });
    expect(res.json.result).toMatchObject({ alerts_created: 1 });

    const again = await api("/admin/jobs/alert_dead_letters", { method: "POST", token: ADMIN_TOKEN });
    expect(again.json.result).toEqual({ dead_letters: 0, alerts_created: 0 });

    const listed = await api("/admin/jobs", { token: ADMIN_TOKEN });
    const entry = listed.json.data.find((j: { name: string }) => j.name === "alert_dead_letters");
    expect(entry.last_run.id).toBe(again.json.id);
  });

  it("addresses each alert to the workspace its dead letters name, or to the operator", async () => {
    const { workspace } = await createWorkspace();
    const insert = env.DB.prepare(
      "insert into dead_letters (id, workspace_id, queue, message_id, body, attempts, reason, created_at) values (?, ?, 'flarecast-events', ?, '{}', 6, 'retries_exhausted', ?)",
    );
    const now = new Date().toISOString();
    await env.DB.batch([
      insert.bind("dlq_ws_1", workspace.id, "m-ws-1", now),
      insert.bind("dlq_ws_2", workspace.id, "m-ws-2", now),
      insert.bind("dlq_gone", "ws_deleted_long_ago", "m-gone", now),
    ]);
    const res = await api("/admin/jobs/alert_dead_letters", { method: "POST", token: ADMIN_TOKEN });
    expect(res.json.result).toEqual({ dead_letters: 3, alerts_created: 2 });
    const { results } = await env.DB.prepare(
      "select workspace_id, message from alerts where target_id = 'flarecast-events' order by workspace_id",
    ).all<{ workspace_id: string | null; message: string }>();
    expect(results).toEqual([
      { workspace_id: null, message: "1 message(s) on flarecast-events could not be processed" },
      { workspace_id: workspace.id, message: "2 message(s) on flarecast-events could not be processed" },
    ]);
  });

  it("answers 404 for an unknown job", async () => {
    const res = await api("/admin/jobs/no_such_job", { method: "POST", token: ADMIN_TOKEN });
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
  });
});
