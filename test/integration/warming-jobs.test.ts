import { env } from "cloudflare:workers";
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client";
import { alerts, dedicatedIps, warmingProgress as progressTable, sendingDomains, workspaces } from "../../src/db/schema";
import { throttleFor } from "../../src/domain/warming/throttle";
import {
  recordWarmingOutcomes,
  resumeWarming,
  startWarming,
  type WarmingOutcome,
  type WarmingTarget,
  warmingProgress,
} from "../../src/domain/warming/warming";
import { checkWarmingThresholds } from "../../src/jobs/check-warming-thresholds.job";
import type { Job } from "../../src/jobs/job";
import { processWarmingDay } from "../../src/jobs/process-warming-day.job";
import { resetDailyVolumes } from "../../src/jobs/reset-daily-volumes.job";
import { createWorkspace } from "../factories/api";
import { insertDomain, insertIp } from "../factories/infrastructure";

const db = createDb(env.DB);

const run = (job: Job, at: string) => job.run({ env, db, now: new Date(at) });

async function workspaceIn(timezone: string, settings?: Record<string, unknown>): Promise<string> {
  const { workspace } = await createWorkspace({ timezone });
  if (settings) await db.update(workspaces).set({ settings }).where(eq(workspaces.id, workspace.id));
  return workspace.id;
}

const newDomain = (workspaceId: string) => insertDomain(workspaceId);
const newIp = insertIp;

async function warming(timezone: string, schedule: string, startedAt: string, settings?: Record<string, unknown>) {
  const domain = await newDomain(await workspaceIn(timezone, settings));
  await startWarming(db, env, domain, schedule, new Date(startedAt));
  return domain;
}

const stateOf = async (target: WarmingTarget) => {
  const row = await db.select().from(sendingDomains).where(eq(sendingDomains.id, target.id)).get();
  return { ...row, throttle: await throttleFor(env, target).state() };
};

const progressOf = (target: WarmingTarget) =>
  db
    .select({ date: progressTable.date, warming_day: progressTable.warming_day, daily_limit: progressTable.daily_limit })
    .from(progressTable)
    .where(eq(progressTable.target_id, target.id))
    .orderBy(progressTable.date);

const outcomes = (target: WarmingTarget, counts: Partial<Record<WarmingOutcome["event"], number>>, occurred_at: string): WarmingOutcome[] =>
  Object.entries(counts).flatMap(([event, n]) =>
    Array.from({ length: n }, () => ({
      workspace_id: target.workspace_id,
      target_type: target.type,
      target_id: target.id,
      event: event as WarmingOutcome["event"],
      occurred_at,
    })),
  );

const alertsOf = (target: WarmingTarget) => db.select().from(alerts).where(eq(alerts.target_id, target.id)).orderBy(alerts.created_at);

describe("process_warming_day", () => {
  // 14:00Z is 23:00 in Tokyo (UTC+9) and 07:00 in Los Angeles (UTC-7 after 8 March) on 10 March.
  const started = "2026-03-10T14:00:00.000Z";

  it("advances each target once its own workspace reaches a new local day, and only once", async () => {
    const tokyo = await warming("Asia/Tokyo", "conservative", started);
    const losAngeles = await warming("America/Los_Angeles", "conservative", started);

    // Midnight in Tokyo; 08:00 in Los Angeles.
    await run(processWarmingDay, "2026-03-10T15:00:00.000Z");
    expect(await stateOf(tokyo)).toMatchObject({ warming_day: 2, daily_limit: 82, throttle: { daily_limit: 82 } });
    expect(await stateOf(losAngeles)).toMatchObject({ warming_day: 1, daily_limit: 50, throttle: { daily_limit: 50 } });
    expect(await progressOf(tokyo)).toEqual([
      { date: "2026-03-10", warming_day: 1, daily_limit: 50 },
      { date: "2026-03-11", warming_day: 2, daily_limit: 82 },
    ]);

    const before = [await stateOf(tokyo), await stateOf(losAngeles), await progressOf(tokyo), await progressOf(losAngeles)];
    await run(processWarmingDay, "2026-03-10T15:00:00.000Z");
    await run(processWarmingDay, "2026-03-10T22:00:00.000Z");
    expect([await stateOf(tokyo), await stateOf(losAngeles), await progressOf(tokyo), await progressOf(losAngeles)]).toEqual(before);

    // Midnight in Los Angeles; 16:00 on the 11th in Tokyo.
    await run(processWarmingDay, "2026-03-11T07:00:00.000Z");
    expect(await stateOf(losAngeles)).toMatchObject({ warming_day: 2, daily_limit: 82, throttle: { daily_limit: 82 } });
    expect(await stateOf(tokyo)).toMatchObject({ warming_day: 2 });

    await run(processWarmingDay, "2026-03-11T15:00:00.000Z");
    expect(await stateOf(tokyo)).toMatchObject({ warming_day: 3, daily_limit: 136, throttle: { daily_limit: 136 } });
  });

  it("catches up on the right day after missed runs", async () => {
    const domain = await warming("UTC", "conservative", started);
    const result = await run(processWarmingDay, "2026-03-14T00:30:00.000Z");
    expect(result.advanced).toBeGreaterThanOrEqual(1);
    expect(await stateOf(domain)).toMatchObject({ warming_day: 5, daily_limit: 368, throttle: { daily_limit: 368 } });
    expect((await progressOf(domain)).map((p) => p.warming_day)).toEqual([1, 5]);
  });

  it("completes the ramp after its last day: active and uncapped", async () => {
    const domain = await warming("UTC", "aggressive", started);
    await run(processWarmingDay, "2026-03-16T01:00:00.000Z");
    expect(await stateOf(domain)).toMatchObject({ warming_day: 7, daily_limit: 100000, warming_status: "warming" });

    await run(processWarmingDay, "2026-03-17T01:00:00.000Z");
    expect(await stateOf(domain)).toMatchObject({
      status: "active",
      warming_status: "completed",
      warming_day: 7,
      daily_limit: null,
      throttle: { daily_limit: null },
    });
    expect((await progressOf(domain)).map((p) => p.warming_day)).toEqual([1, 7]);
    expect((await throttleFor(env, domain).acquire(250_000)).granted).toBe(250_000);

    await run(processWarmingDay, "2026-03-18T01:00:00.000Z");
    expect(await stateOf(domain)).toMatchObject({ warming_status: "completed", warming_day: 7 });
  });

  it("leaves a paused target on its day with nothing granted, and repairs a throttle that drifted from D1", async () => {
    const paused = await warming("UTC", "moderate", started);
    await db
      .update(sendingDomains)
      .set({ status: "paused", warming_status: "paused", daily_limit: 0 })
      .where(eq(sendingDomains.id, paused.id));
    const drifted = await warming("UTC", "moderate", started);
    await throttleFor(env, drifted).setDailyLimit(9999);

    await run(processWarmingDay, "2026-03-10T20:00:00.000Z");
    expect(await stateOf(paused)).toMatchObject({ warming_day: 1, throttle: { daily_limit: 0 } });
    expect((await throttleFor(env, paused).acquire(1)).granted).toBe(0);
    expect(await stateOf(drifted)).toMatchObject({ warming_day: 1, throttle: { daily_limit: 100 } });

    await run(processWarmingDay, "2026-03-12T01:00:00.000Z");
    expect(await stateOf(paused)).toMatchObject({ warming_status: "paused", warming_day: 1 });
    expect(await stateOf(drifted)).toMatchObject({ warming_day: 3 });
  });
});

describe("reset_daily_volumes", () => {
  const lastReset = "2026-03-10T14:00:00.000Z";

  async function sentToday(target: WarmingTarget, count: number) {
    await throttleFor(env, target).acquire(count);
    const t = target.type === "domain" ? sendingDomains : dedicatedIps;
    await db.update(t).set({ daily_sent: count, daily_reset_at: lastReset }).where(eq(t.id, target.id));
  }

  const counters = async (target: WarmingTarget) => {
    const t = target.type === "domain" ? sendingDomains : dedicatedIps;
    const row = await db.select({ daily_sent: t.daily_sent, daily_reset_at: t.daily_reset_at }).from(t).where(eq(t.id, target.id)).get();
    return { ...row, throttle_sent: (await throttleFor(env, target).state()).daily_sent };
  };

  it("resets the domains and IPs of the workspaces whose local midnight passed, warming or not, once a day", async () => {
    const tokyoWs = await workspaceIn("Asia/Tokyo");
    const tokyoDomain = await newDomain(tokyoWs);
    const tokyoIp = await newIp(tokyoWs);
    const tokyoWarming = await newDomain(tokyoWs);
    await startWarming(db, env, tokyoWarming, "moderate", new Date(lastReset));
    const laDomain = await newDomain(await workspaceIn("America/Los_Angeles"));
    for (const target of [tokyoDomain, tokyoIp, tokyoWarming, laDomain]) await sentToday(target, 10);

    const first = "2026-03-10T15:00:00.000Z";
    const result = await run(resetDailyVolumes, first);
    expect(result.reset).toBeGreaterThanOrEqual(3);
    for (const target of [tokyoDomain, tokyoIp, tokyoWarming]) {
      expect(await counters(target)).toEqual({ daily_sent: 0, daily_reset_at: first, throttle_sent: 0 });
    }
    expect(await counters(laDomain)).toEqual({ daily_sent: 10, daily_reset_at: lastReset, throttle_sent: 10 });
    expect(await throttleFor(env, tokyoWarming).state()).toEqual({ daily_limit: 100, daily_sent: 0 });

    await throttleFor(env, tokyoDomain).acquire(5);
    await run(resetDailyVolumes, "2026-03-10T15:30:00.000Z");
    expect(await counters(tokyoDomain)).toEqual({ daily_sent: 0, daily_reset_at: first, throttle_sent: 5 });
    expect(await counters(laDomain)).toMatchObject({ daily_sent: 10, throttle_sent: 10 });

    // Midnight in Los Angeles; 16:00 in Tokyo, which keeps its day's count.
    await run(resetDailyVolumes, "2026-03-11T07:00:00.000Z");
    expect(await counters(laDomain)).toEqual({ daily_sent: 0, daily_reset_at: "2026-03-11T07:00:00.000Z", throttle_sent: 0 });
    expect(await counters(tokyoDomain)).toEqual({ daily_sent: 0, daily_reset_at: first, throttle_sent: 5 });

    await run(resetDailyVolumes, "2026-03-11T15:00:00.000Z");
    expect(await counters(tokyoDomain)).toEqual({ daily_sent: 0, daily_reset_at: "2026-03-11T15:00:00.000Z", throttle_sent: 0 });
  });

  it("resets a target that was never reset, and keeps a paused target at zero", async () => {
    const ws = await workspaceIn("UTC");
    const fresh = await newDomain(ws);
    await throttleFor(env, fresh).acquire(7);
    const paused = await warming("UTC", "moderate", "2026-03-10T10:00:00.000Z");
    await db
      .update(sendingDomains)
      .set({ status: "paused", warming_status: "paused", daily_limit: 0 })
      .where(eq(sendingDomains.id, paused.id));
    await throttleFor(env, paused).setDailyLimit(0);

    await run(resetDailyVolumes, "2026-03-11T00:00:00.000Z");
    expect(await counters(fresh)).toEqual({ daily_sent: 0, daily_reset_at: "2026-03-11T00:00:00.000Z", throttle_sent: 0 });
    expect((await throttleFor(env, paused).acquire(1)).granted).toBe(0);
  });
});

describe("check_warming_thresholds", () => {
  const started = "2026-03-10T08:00:00.000Z";
  const today = "2026-03-10T12:00:00.000Z";
  const hourLater = "2026-03-10T13:00:00.000Z";

  it("pauses on a breach with a critical alert, stays paused when the rates recover, and resumes only by operator", async () => {
    const domain = await warming("UTC", "moderate", started);
    await recordWarmingOutcomes(db, outcomes(domain, { send: 200, delivery: 180, bounce: 12 }, today));

    await run(checkWarmingThresholds, hourLater);
    const paused = await warmingProgress(db, env, domain, new Date(hourLater));
    expect(paused).toMatchObject({
      status: "paused",
      warming_status: "paused",
      daily_limit: 0,
      pause_reason: "bounce rate 6.00% is above 5.00%",
    });
    expect((await throttleFor(env, domain).acquire(1)).granted).toBe(0);
    const [alert] = await alertsOf(domain);
    expect(alert).toMatchObject({
      severity: "critical",
      alert_type: "warming_auto_paused",
      target_type: "domain",
      workspace_id: domain.workspace_id,
    });
    expect(alert.details).toMatchObject({
      window: { sent: 200, bounced: 12, bounce_rate: 0.06, from: "2026-03-09", to: "2026-03-10" },
      thresholds: { max_bounce_rate: 0.05 },
      minimum_volume: 100,
    });

    await recordWarmingOutcomes(db, outcomes(domain, { send: 5000, delivery: 5000 }, hourLater));
    await run(checkWarmingThresholds, "2026-03-10T14:00:00.000Z");
    await run(processWarmingDay, "2026-03-11T01:00:00.000Z");
    await run(checkWarmingThresholds, "2026-03-11T02:00:00.000Z");
    expect(await stateOf(domain)).toMatchObject({ warming_status: "paused", warming_day: 1, throttle: { daily_limit: 0 } });
    expect(await alertsOf(domain)).toHaveLength(1);

    await resumeWarming(db, env, domain, new Date("2026-03-11T03:00:00.000Z"));
    await run(checkWarmingThresholds, "2026-03-11T04:00:00.000Z");
    expect(await stateOf(domain)).toMatchObject({
      warming_status: "warming",
      status: "warming",
      warming_day: 1,
      throttle: { daily_limit: 100 },
    });
    expect((await alertsOf(domain)).map((a) => a.alert_type)).toEqual(["warming_auto_paused", "warming_resumed"]);
  });

  it("does not judge a window below the minimum volume", async () => {
    const domain = await warming("UTC", "moderate", started);
    await recordWarmingOutcomes(db, outcomes(domain, { send: 99, bounce: 40, complaint: 5 }, today));
    await run(checkWarmingThresholds, hourLater);
    expect(await stateOf(domain)).toMatchObject({ warming_status: "warming", throttle: { daily_limit: 100 } });
    expect(await alertsOf(domain)).toEqual([]);
  });

  it("judges today together with the day before, and nothing older", async () => {
    const twoDays = await warming("UTC", "moderate", "2026-03-09T08:00:00.000Z");
    await recordWarmingOutcomes(db, [
      ...outcomes(twoDays, { send: 60, delivery: 60 }, "2026-03-09T10:00:00.000Z"),
      ...outcomes(twoDays, { send: 50, bounce: 6 }, today),
    ]);
    const stale = await warming("UTC", "moderate", "2026-03-07T08:00:00.000Z");
    await db.update(sendingDomains).set({ warming_day: 4 }).where(eq(sendingDomains.id, stale.id));
    await recordWarmingOutcomes(db, [
      ...outcomes(stale, { send: 400, bounce: 300 }, "2026-03-08T10:00:00.000Z"),
      ...outcomes(stale, { send: 100, delivery: 100 }, today),
    ]);

    await run(checkWarmingThresholds, hourLater);
    expect(await stateOf(twoDays)).toMatchObject({ warming_status: "paused", warming_pause_reason: "bounce rate 5.45% is above 5.00%" });
    expect(await stateOf(stale)).toMatchObject({ warming_status: "warming" });
  });

  it("honours the workspace's threshold overrides", async () => {
    const relaxed = await warming("UTC", "moderate", started, { warming_thresholds: { max_bounce_rate: 0.2 } });
    const strict = await warming("UTC", "moderate", started, { warming_thresholds: { max_bounce_rate: 0.01, max_complaint_rate: 0.05 } });
    for (const domain of [relaxed, strict]) {
      await recordWarmingOutcomes(db, outcomes(domain, { send: 1000, delivery: 880, bounce: 100, complaint: 20 }, today));
    }
    await run(checkWarmingThresholds, hourLater);
    // Relaxed: 10 % bounces pass its 20 % ceiling, but 2 % complaints breach the default 0.1 %.
    expect(await stateOf(relaxed)).toMatchObject({ warming_status: "paused", warming_pause_reason: "complaint rate 2.00% is above 0.10%" });
    expect(await stateOf(strict)).toMatchObject({ warming_status: "paused", warming_pause_reason: "bounce rate 10.00% is above 1.00%" });

    const lenient = await warming("UTC", "moderate", started, {
      warming_thresholds: { max_bounce_rate: 0.2, max_complaint_rate: 0.05, min_delivery_rate: 0.5 },
    });
    await recordWarmingOutcomes(db, outcomes(lenient, { send: 1000, delivery: 880, bounce: 100, complaint: 20 }, today));
    await run(checkWarmingThresholds, hourLater);
    expect(await stateOf(lenient)).toMatchObject({ warming_status: "warming" });
    const [row] = await db
      .select()
      .from(progressTable)
      .where(and(eq(progressTable.target_id, lenient.id), eq(progressTable.date, "2026-03-10")));
    expect(row).toMatchObject({ sent_count: 1000, bounce_rate: 0.1, complaint_rate: 0.02, delivery_rate: 0.9 });
  });
});
