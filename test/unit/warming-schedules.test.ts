import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { addDays, daysBetween, localDate, midnightOf, startOfLocalDay } from "../../src/domain/warming/local-day";
import {
  CreateWarmingScheduleSchema,
  dailyVolumes,
  volumeForDay,
  type WarmingStep,
  WarmingStepsSchema,
} from "../../src/domain/warming/schedules";
import { DEFAULT_WARMING_THRESHOLDS, evaluateThresholds, rateWindow, resolveThresholds } from "../../src/domain/warming/thresholds";

const steps = (...pairs: [number, number][]): WarmingStep[] => pairs.map(([day, volume]) => ({ day, volume }));

const issuesOf = (result: { success: boolean; error?: { issues: { path: PropertyKey[]; message: string }[] } }) =>
  (result.error?.issues ?? []).map((i) => i.path.map(String).join("."));

describe("dailyVolumes", () => {
  it("keeps the anchors exact and ramps geometrically between them", () => {
    const volumes = dailyVolumes(steps([1, 50], [7, 1000], [14, 15000], [21, 100000]));
    expect(volumes).toHaveLength(21);
    expect([volumes[0], volumes[6], volumes[13], volumes[20]]).toEqual([50, 1000, 15000, 100000]);
    // 50 → 1,000 over six days is ×20^(1/6) ≈ 1.648 a day.
    expect(volumes.slice(0, 7)).toEqual([50, 82, 136, 224, 368, 607, 1000]);
    for (let day = 2; day <= 6; day++) expect(volumes[day - 1]).toBe(Math.round(50 * 20 ** ((day - 1) / 6)));
  });

  it("interpolates a sparse custom schedule and holds a flat stretch flat", () => {
    expect(dailyVolumes(steps([1, 10], [3, 40]))).toEqual([10, 20, 40]);
    expect(dailyVolumes(steps([1, 100], [4, 100], [5, 300]))).toEqual([100, 100, 100, 100, 300]);
    expect(dailyVolumes(steps([1, 500]))).toEqual([500]);
  });

  it("is non-decreasing with exact anchors for any valid schedule", () => {
    const schedule = fc.uniqueArray(fc.integer({ min: 2, max: 120 }), { maxLength: 12 }).chain((days) =>
      fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: days.length + 1, maxLength: days.length + 1 }).map((gains) => {
        let volume = 0;
        return [1, ...days.sort((a, b) => a - b)].map((day, i) => ({ day, volume: (volume += gains[i]) }));
      }),
    );
    fc.assert(
      fc.property(schedule, (s) => {
        expect(WarmingStepsSchema.safeParse(s).success).toBe(true);
        const volumes = dailyVolumes(s);
        expect(volumes).toHaveLength(s.at(-1)!.day);
        for (const step of s) expect(volumes[step.day - 1]).toBe(step.volume);
        for (let i = 1; i < volumes.length; i++) expect(volumes[i]).toBeGreaterThanOrEqual(volumes[i - 1]);
        expect(volumes.every(Number.isInteger)).toBe(true);
      }),
    );
  });
});

describe("volumeForDay", () => {
  const moderate = steps([1, 100], [7, 7500], [14, 100000]);

  it("answers each day's cap and null once the schedule is over", () => {
    expect(volumeForDay(moderate, 1)).toBe(100);
    expect(volumeForDay(moderate, 7)).toBe(7500);
    expect(volumeForDay(moderate, 10)).toBe(dailyVolumes(moderate)[9]);
    expect(volumeForDay(moderate, 14)).toBe(100000);
    expect(volumeForDay(moderate, 15)).toBeNull();
  });

  it("refuses a day that is not a positive integer", () => {
    expect(() => volumeForDay(moderate, 0)).toThrow(RangeError);
    expect(() => volumeForDay(moderate, 1.5)).toThrow(RangeError);
  });
});

describe("WarmingStepsSchema", () => {
  it("accepts sparse, strictly increasing days from 1 with non-decreasing volumes", () => {
    expect(WarmingStepsSchema.safeParse(steps([1, 10], [5, 10], [30, 5000])).success).toBe(true);
  });

  it("points each problem at the offending step", () => {
    expect(issuesOf(WarmingStepsSchema.safeParse(steps([2, 10], [3, 20])))).toEqual(["0.day"]);
    expect(issuesOf(WarmingStepsSchema.safeParse(steps([1, 10], [4, 20], [4, 30])))).toEqual(["2.day"]);
    expect(issuesOf(WarmingStepsSchema.safeParse(steps([1, 10], [3, 20], [5, 30], [6, 25])))).toEqual(["3.volume"]);
    expect(
      issuesOf(
        WarmingStepsSchema.safeParse([
          { day: 1, volume: 10 },
          { day: 2, volume: 1.5 },
        ]),
      ),
    ).toEqual(["1.volume"]);
    expect(issuesOf(WarmingStepsSchema.safeParse(steps([1, 0])))).toEqual(["0.volume"]);
    expect(issuesOf(WarmingStepsSchema.safeParse([]))).toEqual([""]);
  });

  it("nests the paths under steps in a schedule body", () => {
    const result = CreateWarmingScheduleSchema.safeParse({ name: "Ramp", steps: steps([1, 10], [3, 20], [5, 30], [4, 40]) });
    expect(issuesOf(result)).toEqual(["steps.3.day"]);
    expect(issuesOf(CreateWarmingScheduleSchema.safeParse({ name: " ", slug: "Not A Slug", steps: steps([1, 1]) }))).toEqual([
      "name",
      "slug",
    ]);
  });
});

describe("thresholds", () => {
  const window = (sent: number, bounced: number, complained = 0) => rateWindow({ sent, delivered: sent - bounced, bounced, complained });

  it("measures every rate over sends, with only reported failures held against the target", () => {
    expect(rateWindow({ sent: 200, delivered: 50, bounced: 10, complained: 1 })).toEqual({
      sent: 200,
      delivered: 50,
      bounced: 10,
      complained: 1,
      bounce_rate: 0.05,
      complaint_rate: 0.005,
      delivery_rate: 0.95,
    });
    expect(rateWindow({ sent: 0, delivered: 0, bounced: 3, complained: 0 })).toMatchObject({ bounce_rate: null, delivery_rate: null });
    expect(rateWindow({ sent: 10, delivered: 0, bounced: 30, complained: 0 })).toMatchObject({ bounce_rate: 1, delivery_rate: 0 });
  });

  it("breaches above the ceilings and below the floor, not at them", () => {
    const t = DEFAULT_WARMING_THRESHOLDS;
    expect(evaluateThresholds(window(1000, 50), t, 100)).toEqual({ breached: false, reasons: [] });
    expect(evaluateThresholds(window(1000, 51), t, 100)).toEqual({ breached: true, reasons: ["bounce rate 5.10% is above 5.00%"] });
    expect(evaluateThresholds(window(1000, 0, 1), t, 100).breached).toBe(false);
    expect(evaluateThresholds(window(1000, 0, 2), t, 100).reasons).toEqual(["complaint rate 0.20% is above 0.10%"]);
    const relaxed = { ...t, max_bounce_rate: 0.5 };
    expect(evaluateThresholds(window(1000, 100), relaxed, 100).breached).toBe(false);
    expect(evaluateThresholds(window(1000, 101), relaxed, 100).reasons).toEqual(["delivery rate 89.90% is below 90.00%"]);
  });

  it("never breaches on a window below the minimum volume", () => {
    expect(evaluateThresholds(window(99, 50, 5), DEFAULT_WARMING_THRESHOLDS, 100)).toEqual({ breached: false, reasons: [] });
    expect(evaluateThresholds(window(100, 50, 5), DEFAULT_WARMING_THRESHOLDS, 100).reasons).toHaveLength(3);
  });

  it("takes a workspace's overrides and ignores values that are not rates", () => {
    expect(resolveThresholds({})).toEqual(DEFAULT_WARMING_THRESHOLDS);
    expect(resolveThresholds({ warming_thresholds: { max_bounce_rate: 0.02 } })).toEqual({
      ...DEFAULT_WARMING_THRESHOLDS,
      max_bounce_rate: 0.02,
    });
    expect(
      resolveThresholds({ warming_thresholds: { max_bounce_rate: 5, max_complaint_rate: -1, min_delivery_rate: Number.NaN } }),
    ).toEqual(DEFAULT_WARMING_THRESHOLDS);
  });
});

describe("local days", () => {
  const at = new Date("2026-03-10T15:30:00.000Z");

  it("dates an instant in the workspace's zone", () => {
    expect(localDate(at, "Asia/Tokyo")).toBe("2026-03-11");
    expect(localDate(at, "America/Los_Angeles")).toBe("2026-03-10");
    expect(localDate("2026-03-10T23:59:59.999Z", "UTC")).toBe("2026-03-10");
  });

  it("counts calendar days across month and year ends", () => {
    expect(addDays("2026-02-28", 1)).toBe("2026-03-01");
    expect(addDays("2026-12-31", 1)).toBe("2027-01-01");
    expect(addDays("2026-03-01", -1)).toBe("2026-02-28");
    expect(daysBetween("2026-02-27", "2026-03-02")).toBe(3);
  });

  it("finds local midnight on daylight-saving days", () => {
    expect(startOfLocalDay(at, "Asia/Tokyo").toISOString()).toBe("2026-03-10T15:00:00.000Z");
    // Los Angeles moved to PDT (UTC-7) at 02:00 on 8 March 2026; that day's midnight was still PST (UTC-8).
    expect(startOfLocalDay(new Date("2026-03-08T20:00:00Z"), "America/Los_Angeles").toISOString()).toBe("2026-03-08T08:00:00.000Z");
    expect(startOfLocalDay(new Date("2026-03-09T20:00:00Z"), "America/Los_Angeles").toISOString()).toBe("2026-03-09T07:00:00.000Z");
  });

  it("finds the first instant of a date, also where a daylight-saving change skips its midnight", () => {
    expect(midnightOf("2026-03-14", "America/Los_Angeles").toISOString()).toBe("2026-03-14T07:00:00.000Z");
    expect(midnightOf("2026-11-01", "America/Los_Angeles").toISOString()).toBe("2026-11-01T07:00:00.000Z");
    // Havana moves its clocks from 00:00 to 01:00 on the second Sunday of March.
    const havana = midnightOf("2026-03-08", "America/Havana");
    expect(havana.toISOString()).toBe("2026-03-08T05:00:00.000Z");
    expect(localDate(havana, "America/Havana")).toBe("2026-03-08");
  });
});
