import { env } from "cloudflare:workers";
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client";
import { alerts, warmingProgress as progressTable, sendingDomains, workspaces } from "../../src/db/schema";
import { createSchedule, findSchedule, listSchedules } from "../../src/domain/warming/schedules";
import { findTarget } from "../../src/domain/warming/targets";
import { throttleFor } from "../../src/domain/warming/throttle";
import {
  advanceTarget,
  pauseWarming,
  recordWarmingOutcomes,
  resumeWarming,
  startWarming,
  thresholdsFor,
  type WarmingOutcome,
  type WarmingTarget,
  warmingProgress,
} from "../../src/domain/warming/warming";
import { chunk, rowsPerInsert } from "../../src/lib/chunk";
import { apiErrorFor } from "../../src/lib/error-handler";
import type { ApiError } from "../../src/lib/errors";
import { createWorkspace } from "../factories/api";
import { domainRow, insertDomain, insertIp } from "../factories/infrastructure";

const db = createDb(env.DB);

const newDomain = insertDomain;
const newIp = insertIp;

async function rejection(promise: Promise<unknown>): Promise<ApiError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  const apiError = apiErrorFor(error);
  expect(apiError).toBeDefined();
  return apiError as ApiError;
}

const outcomes = (target: WarmingTarget, event: WarmingOutcome["event"], count: number, occurred_at: string): WarmingOutcome[] =>
  Array.from({ length: count }, () => ({
    workspace_id: target.workspace_id,
    target_type: target.type,
    target_id: target.id,
    event,
    occurred_at,
  }));

const T0 = new Date("2026-03-10T03:00:00.000Z");

describe("warming schedules", () => {
  it("lists the three built-ins first, with the spec's anchors and geometric days between", async () => {
    const { workspace } = await createWorkspace();
    const [conservative, moderate, aggressive] = await listSchedules(db, workspace.id);
    expect([conservative.slug, moderate.slug, aggressive.slug]).toEqual(["conservative", "moderate", "aggressive"]);
    expect([conservative, moderate, aggressive].every((s) => s.is_builtin)).toBe(true);

    expect(conservative.duration_days).toBe(21);
    const c = conservative.daily_volumes;
    expect([c[0], c[6], c[13], c[20]]).toEqual([50, 1000, 15000, 100000]);
    // 1,000 → 15,000 over seven days is ×15^(1/7) ≈ 1.472 a day.
    expect(c.slice(6, 14)).toEqual([1000, 1472, 2168, 3192, 4700, 6919, 10188, 15000]);

    expect(moderate.duration_days).toBe(14);
    expect([moderate.daily_volumes[0], moderate.daily_volumes[6], moderate.daily_volumes[13]]).toEqual([100, 7500, 100000]);

    expect(aggressive.duration_days).toBe(7);
    expect(aggressive.steps).toEqual([
      { day: 1, volume: 200 },
      { day: 4, volume: 15000 },
      { day: 7, volume: 100000 },
    ]);
    // ×75^(1/3) ≈ 4.22 a day up to day 4, then ×(20/3)^(1/3) ≈ 1.88.
    expect(aggressive.daily_volumes).toEqual([200, 843, 3557, 15000, 28231, 53133, 100000]);
  });

  it("creates a workspace's own schedule, visible to that workspace only", async () => {
    const { workspace } = await createWorkspace();
    const { workspace: other } = await createWorkspace();
    const created = await createSchedule(
      db,
      workspace.id,
      {
        name: "Slow Burn",
        steps: [
          { day: 1, volume: 20 },
          { day: 5, volume: 320 },
        ],
      },
      T0,
    );
    expect(created).toMatchObject({ slug: "slow-burn", is_builtin: false, duration_days: 5, daily_volumes: [20, 40, 80, 160, 320] });

    expect((await listSchedules(db, workspace.id)).map((s) => s.slug)).toEqual(["conservative", "moderate", "aggressive", "slow-burn"]);
    expect((await listSchedules(db, other.id)).map((s) => s.slug)).toEqual(["conservative", "moderate", "aggressive"]);
    expect(await findSchedule(db, workspace.id, created.id)).toEqual(created);
    expect(await findSchedule(db, workspace.id, "slow-burn")).toEqual(created);
    expect(await findSchedule(db, other.id, created.id)).toBeNull();
    expect((await findSchedule(db, other.id, "moderate"))?.id).toBe("wsc_moderate");

    const derived = await createSchedule(db, workspace.id, { name: "Slow burn!", steps: [{ day: 1, volume: 5 }] }, T0);
    expect(derived.slug).toBe("slow-burn-2");
  });

  it("answers 409 for a slug in use or a built-in's, and 422 with the step's path for bad steps", async () => {
    const { workspace } = await createWorkspace();
    const steps = [{ day: 1, volume: 10 }];
    await createSchedule(db, workspace.id, { name: "Mine", slug: "mine", steps }, T0);
    expect((await rejection(createSchedule(db, workspace.id, { name: "Again", slug: "mine", steps }, T0))).status).toBe(409);
    expect((await rejection(createSchedule(db, workspace.id, { name: "Mine", slug: "moderate", steps }, T0))).status).toBe(409);

    const invalid = await rejection(
      createSchedule(
        db,
        workspace.id,
        {
          name: "Bad",
          steps: [
            { day: 1, volume: 10 },
            { day: 1, volume: 5 },
          ],
        },
        T0,
      ),
    );
    expect(invalid.status).toBe(422);
    expect(invalid.errors?.map((e) => e.path)).toEqual(["steps.1.day", "steps.1.volume"]);
  });
});

describe("starting warming", () => {
  it("puts a verified domain on day 1 of its schedule, capped in D1 and in its throttle", async () => {
    const { workspace } = await createWorkspace({ timezone: "Asia/Tokyo" });
    const domain = await newDomain(workspace.id);
    const progress = await startWarming(db, env, domain, "conservative", T0);
    expect(progress).toMatchObject({
      target_type: "domain",
      target_id: domain.id,
      status: "warming",
      warming_status: "warming",
      warming_day: 1,
      daily_limit: 50,
      daily_sent: 0,
      started_at: T0.toISOString(),
      paused_at: null,
      date: "2026-03-10",
      today: { sent: 0, bounce_rate: null },
      window: { days: 2, minimum_volume: 100, sent: 0 },
      thresholds: { max_bounce_rate: 0.05, max_complaint_rate: 0.001, min_delivery_rate: 0.9 },
    });
    expect(progress.schedule?.slug).toBe("conservative");
    expect(await throttleFor(env, domain).state()).toEqual({ daily_limit: 50, daily_sent: 0 });

    const [row] = await db.select().from(progressTable).where(eq(progressTable.target_id, domain.id));
    expect(row).toMatchObject({ date: "2026-03-10", warming_day: 1, daily_limit: 50, sent_count: 0 });

    const granted = await throttleFor(env, domain).acquire(80);
    expect(granted.granted).toBe(50);
    expect((await warmingProgress(db, env, domain, T0)).daily_sent).toBe(50);
  });

  it("warms a dedicated IP the same way, by schedule id", async () => {
    const { workspace } = await createWorkspace();
    const ip = await newIp(workspace.id);
    const progress = await startWarming(db, env, ip, "wsc_aggressive", T0);
    expect(progress).toMatchObject({ target_type: "ip", warming_day: 1, daily_limit: 200, status: "warming" });
    expect(await throttleFor(env, ip).state()).toMatchObject({ daily_limit: 200 });
    // The domain and IP throttles are distinct objects even for equal ids.
    expect(await throttleFor(env, { type: "domain", id: ip.id }).state()).toEqual({ daily_limit: null, daily_sent: 0 });
  });

  it("answers 404 for an unknown or foreign target, 422 for an unknown or foreign schedule, and 409 unless the target is verified and idle", async () => {
    const { workspace } = await createWorkspace();
    const { workspace: other } = await createWorkspace();
    const domain = await newDomain(workspace.id);
    const foreign = await createSchedule(db, other.id, { name: "Theirs", steps: [{ day: 1, volume: 10 }] }, T0);

    expect((await rejection(startWarming(db, env, { ...domain, id: "dom_missing" }, "moderate", T0))).status).toBe(404);
    expect((await rejection(startWarming(db, env, { ...domain, workspace_id: other.id }, "moderate", T0))).status).toBe(404);
    const unknownSchedule = await rejection(startWarming(db, env, domain, "no-such-schedule", T0));
    expect(unknownSchedule.status).toBe(422);
    expect(unknownSchedule.errors).toEqual([expect.objectContaining({ location: "body", path: "schedule" })]);
    expect((await rejection(startWarming(db, env, domain, foreign.id, T0))).status).toBe(422);

    const pending = await newDomain(workspace.id, "pending");
    expect((await rejection(startWarming(db, env, pending, "moderate", T0))).detail).toMatch(/is pending: it must be verified/);

    await startWarming(db, env, domain, "moderate", T0);
    expect((await rejection(startWarming(db, env, domain, "moderate", T0))).detail).toMatch(/already warming/);
    await pauseWarming(db, env, domain, "operator", {}, T0);
    expect((await rejection(startWarming(db, env, domain, "moderate", T0))).detail).toMatch(/resume it/);
  });
});

describe("warming outcomes", () => {
  it("counts each outcome on the workspace-local day it happened, with the day's rates", async () => {
    const { workspace } = await createWorkspace({ timezone: "Asia/Tokyo" });
    const domain = await newDomain(workspace.id);
    await startWarming(db, env, domain, "moderate", T0);
    // 14:30Z is 23:30 in Tokyo on the 10th; 15:30Z is already the 11th there.
    await recordWarmingOutcomes(db, [
      ...outcomes(domain, "send", 120, "2026-03-10T14:30:00.000Z"),
      ...outcomes(domain, "delivery", 100, "2026-03-10T14:31:00.000Z"),
      ...outcomes(domain, "bounce", 6, "2026-03-10T14:32:00.000Z"),
      ...outcomes(domain, "complaint", 1, "2026-03-10T14:33:00.000Z"),
      ...outcomes(domain, "open", 30, "2026-03-10T14:34:00.000Z"),
      ...outcomes(domain, "delivery", 10, "2026-03-10T15:30:00.000Z"),
    ]);
    const rows = await db.select().from(progressTable).where(eq(progressTable.target_id, domain.id)).orderBy(progressTable.date);
    expect(rows.map((r) => r.date)).toEqual(["2026-03-10", "2026-03-11"]);
    expect(rows[0]).toMatchObject({
      warming_day: 1,
      daily_limit: 100,
      sent_count: 120,
      delivered_count: 100,
      bounce_count: 6,
      complaint_count: 1,
      open_count: 30,
      bounce_rate: 0.05,
      complaint_rate: 1 / 120,
      delivery_rate: 114 / 120,
    });
    expect(rows[1]).toMatchObject({ sent_count: 0, delivered_count: 10, bounce_rate: null, delivery_rate: null });

    await recordWarmingOutcomes(db, outcomes(domain, "send", 80, "2026-03-10T10:00:00.000Z"));
    const [again] = await db
      .select()
      .from(progressTable)
      .where(and(eq(progressTable.target_id, domain.id), eq(progressTable.date, "2026-03-10")));
    expect(again).toMatchObject({ sent_count: 200, bounce_rate: 0.03, delivery_rate: 0.97 });

    const view = await warmingProgress(db, env, domain, new Date("2026-03-10T15:30:00.000Z"));
    expect(view.date).toBe("2026-03-11");
    expect(view.today).toMatchObject({ sent: 0, delivered: 10 });
    expect(view.window).toMatchObject({ sent: 200, delivered: 110, bounced: 6, complained: 1, bounce_rate: 0.03 });
  });

  it("records many targets in one call and ignores targets that are not warming and unknown workspaces", async () => {
    const { workspace } = await createWorkspace();
    // 60 target-days: more than one batch of statements.
    const domains = Array.from({ length: 60 }, () =>
      domainRow(workspace.id, {
        status: "warming",
        warming_status: "warming",
        warming_schedule_id: "wsc_conservative",
        warming_day: 1,
        daily_limit: 50,
      }),
    );
    for (const part of chunk(domains, rowsPerInsert(20))) await db.insert(sendingDomains).values(part);
    const targets: WarmingTarget[] = domains.map((r) => ({ workspace_id: workspace.id, type: "domain", id: r.id }));
    const idle = await newDomain(workspace.id);
    const at = "2026-03-10T12:00:00.000Z";
    await recordWarmingOutcomes(db, [
      ...targets.flatMap((t) => [...outcomes(t, "send", 3, at), ...outcomes(t, "bounce", 1, at)]),
      ...outcomes(idle, "send", 5, at),
      { workspace_id: "ws_gone", target_type: "domain", target_id: targets[0].id, event: "send", occurred_at: at },
    ]);
    const rows = await db.select().from(progressTable).where(eq(progressTable.workspace_id, workspace.id));
    expect(rows).toHaveLength(60);
    expect(rows.every((r) => r.sent_count === 3 && r.bounce_count === 1 && r.bounce_rate === 1 / 3)).toBe(true);
  });
});

describe("pause and resume", () => {
  it("pauses sticky: the throttle grants nothing, a critical alert is raised once, and only resume lifts it", async () => {
    const { workspace } = await createWorkspace({ timezone: "America/Los_Angeles" });
    const domain = await newDomain(workspace.id);
    await startWarming(db, env, domain, "moderate", T0);
    await throttleFor(env, domain).acquire(30);

    const later = new Date(T0.getTime() + 3_600_000);
    await pauseWarming(db, env, domain, "bounce rate 8.00% is above 5.00%", { window: { sent: 300 } }, later);
    await pauseWarming(db, env, domain, "a second reason", {}, later);
    const paused = await warmingProgress(db, env, domain, later);
    expect(paused).toMatchObject({
      status: "paused",
      warming_status: "paused",
      daily_limit: 0,
      daily_sent: 30,
      paused_at: later.toISOString(),
      pause_reason: "bounce rate 8.00% is above 5.00%",
    });
    expect((await throttleFor(env, domain).acquire(1)).granted).toBe(0);

    const raised = await db.select().from(alerts).where(eq(alerts.target_id, domain.id));
    expect(raised).toHaveLength(1);
    expect(raised[0]).toMatchObject({
      workspace_id: workspace.id,
      severity: "critical",
      alert_type: "warming_auto_paused",
      target_type: "domain",
      details: { window: { sent: 300 }, reason: "bounce rate 8.00% is above 5.00%", warming_day: 1, schedule_id: "wsc_moderate" },
    });

    const resumed = await resumeWarming(db, env, domain, later);
    expect(resumed).toMatchObject({
      status: "warming",
      warming_status: "warming",
      warming_day: 1,
      daily_limit: 100,
      paused_at: null,
      pause_reason: null,
    });
    expect((await throttleFor(env, domain).acquire(100)).granted).toBe(70);
    const info = await db
      .select()
      .from(alerts)
      .where(and(eq(alerts.target_id, domain.id), eq(alerts.severity, "info")));
    expect(info.map((a) => [a.alert_type, a.message])).toEqual([
      ["warming_resumed", expect.stringMatching(/resumed by operator on day 1/)],
    ]);

    expect((await rejection(resumeWarming(db, env, domain, later))).status).toBe(409);
  });

  it("resumes on the day it paused on, however many days the pause lasted", async () => {
    const { workspace } = await createWorkspace({ timezone: "America/Los_Angeles" });
    const domain = await newDomain(workspace.id);
    await startWarming(db, env, domain, "moderate", T0);
    const t = sendingDomains;
    // Day 3, as process_warming_day would have left it.
    await db.update(t).set({ warming_day: 3 }).where(eq(t.id, domain.id));
    const dayThree = new Date(T0.getTime() + 2 * 86_400_000);
    await pauseWarming(db, env, domain, "complaints", {}, dayThree);

    const fiveDaysLater = new Date(dayThree.getTime() + 5 * 86_400_000);
    const resumed = await resumeWarming(db, env, domain, fiveDaysLater);
    expect(resumed).toMatchObject({ warming_day: 3, daily_limit: 422 });
    // 16 March in Los Angeles is day 3 again: the days now count from midnight on the 14th (PDT), while the
    // start stays when it was.
    expect(resumed.date).toBe("2026-03-16");
    expect(resumed.started_at).toBe(T0.toISOString());
    const [row] = await db
      .select()
      .from(progressTable)
      .where(and(eq(progressTable.target_id, domain.id), eq(progressTable.date, resumed.date)));
    expect(row).toMatchObject({ warming_day: 3, daily_limit: 422 });

    const moderate = await findSchedule(db, workspace.id, "moderate");
    const nextDay = new Date(fiveDaysLater.getTime() + 86_400_000);
    const target = await findTarget(db, domain);
    expect(await advanceTarget(db, env, target as NonNullable<typeof target>, moderate?.steps ?? [], nextDay)).toBe("advanced");
    expect(await warmingProgress(db, env, domain, nextDay)).toMatchObject({ warming_day: 4, started_at: T0.toISOString() });
  });

  it("refuses to pause a target that is not warming", async () => {
    const { workspace } = await createWorkspace();
    const domain = await newDomain(workspace.id);
    expect((await rejection(pauseWarming(db, env, domain, "x", {}, T0))).status).toBe(409);
    expect((await rejection(resumeWarming(db, env, domain, T0))).detail).toMatch(/is not started/);
  });
});

describe("thresholdsFor", () => {
  it("gives the spec's defaults, with the workspace's overrides on top", async () => {
    const { workspace } = await createWorkspace();
    expect(await thresholdsFor(db, workspace.id)).toEqual({ max_bounce_rate: 0.05, max_complaint_rate: 0.001, min_delivery_rate: 0.9 });
    await db
      .update(workspaces)
      .set({ settings: { warming_thresholds: { max_complaint_rate: 0.003 } } })
      .where(eq(workspaces.id, workspace.id));
    expect(await thresholdsFor(db, workspace.id)).toEqual({ max_bounce_rate: 0.05, max_complaint_rate: 0.003, min_delivery_rate: 0.9 });
    expect((await rejection(thresholdsFor(db, "ws_missing"))).status).toBe(404);
  });
});
