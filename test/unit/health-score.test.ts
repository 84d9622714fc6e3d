import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  HEALTH_WEIGHTS,
  healthScore,
  healthScoreFromCounts,
  healthTier,
  type ReputationRates,
  ratesFromCounts,
} from "../../src/domain/reputation/health-score";

const perfect: ReputationRates = { bounce_rate: 0, complaint_rate: 0, delivery_rate: 1, engagement_rate: 0.2 };

describe("healthTier", () => {
  it.each([
    [100, "excellent"],
    [90, "excellent"],
    [89.9, "good"],
    [70, "good"],
    [69.9, "fair"],
    [50, "fair"],
    [49.9, "poor"],
    [30, "poor"],
    [29.9, "critical"],
    [0, "critical"],
  ] as const)("%d is %s", (score, tier) => {
    expect(healthTier(score)).toBe(tier);
  });
});

describe("healthScore", () => {
  it("weighs bounce and complaint 35 % each, delivery and engagement 15 % each", () => {
    expect(HEALTH_WEIGHTS.bounce + HEALTH_WEIGHTS.complaint + HEALTH_WEIGHTS.delivery + HEALTH_WEIGHTS.engagement).toBeCloseTo(1);
  });

  it.each([
    ["a perfect sender", perfect, { bounce: 100, complaint: 100, delivery: 100, engagement: 100 }, 100, "excellent"],
    [
      "engagement above 20 % earns nothing more",
      { ...perfect, engagement_rate: 0.45 },
      { bounce: 100, complaint: 100, delivery: 100, engagement: 100 },
      100,
      "excellent",
    ],
    [
      "bounce at the 5 % auto-pause threshold",
      { ...perfect, bounce_rate: 0.05 },
      { bounce: 0, complaint: 100, delivery: 100, engagement: 100 },
      65,
      "fair",
    ],
    [
      "bounce above the threshold is clamped",
      { ...perfect, bounce_rate: 0.3 },
      { bounce: 0, complaint: 100, delivery: 100, engagement: 100 },
      65,
      "fair",
    ],
    [
      "bounce halfway (2.5 %)",
      { ...perfect, bounce_rate: 0.025 },
      { bounce: 50, complaint: 100, delivery: 100, engagement: 100 },
      82.5,
      "good",
    ],
    [
      "complaint at the 0.1 % auto-pause threshold",
      { ...perfect, complaint_rate: 0.001 },
      { bounce: 100, complaint: 0, delivery: 100, engagement: 100 },
      65,
      "fair",
    ],
    [
      "complaint at 0.03 %",
      { ...perfect, complaint_rate: 0.0003 },
      { bounce: 100, complaint: 70, delivery: 100, engagement: 100 },
      89.5,
      "good",
    ],
    ["delivery at 90 %", { ...perfect, delivery_rate: 0.9 }, { bounce: 100, complaint: 100, delivery: 0, engagement: 100 }, 85, "good"],
    [
      "delivery at 95 %",
      { ...perfect, delivery_rate: 0.95 },
      { bounce: 100, complaint: 100, delivery: 50, engagement: 100 },
      92.5,
      "excellent",
    ],
    ["no engagement at all", { ...perfect, engagement_rate: 0 }, { bounce: 100, complaint: 100, delivery: 100, engagement: 0 }, 85, "good"],
    [
      "engagement 10 %",
      { ...perfect, engagement_rate: 0.1 },
      { bounce: 100, complaint: 100, delivery: 100, engagement: 50 },
      92.5,
      "excellent",
    ],
    [
      "both auto-pause thresholds reached",
      { ...perfect, bounce_rate: 0.05, complaint_rate: 0.001 },
      { bounce: 0, complaint: 0, delivery: 100, engagement: 100 },
      30,
      "poor",
    ],
    [
      "everything at its worst",
      { bounce_rate: 1, complaint_rate: 1, delivery_rate: 0, engagement_rate: 0 },
      { bounce: 0, complaint: 0, delivery: 0, engagement: 0 },
      0,
      "critical",
    ],
    [
      "just under poor: 29.9",
      { bounce_rate: 0.05, complaint_rate: 0.001, delivery_rate: 1, engagement_rate: 0.1986 },
      { bounce: 0, complaint: 0, delivery: 100, engagement: 99.3 },
      29.9,
      "critical",
    ],
  ] as const)("%s", (_, rates, components, score, status) => {
    expect(healthScore(rates)).toEqual({ score, status, components });
  });

  it("takes the tier from the rounded score, so a displayed 90.0 is excellent", () => {
    // engagement 6.66 % → 33.3 → 85 + 0.15 × 33.3 = 89.995, shown as 90.
    const result = healthScore({ ...perfect, engagement_rate: 0.0666 });
    expect(result).toMatchObject({ score: 90, status: "excellent" });
    expect(healthScore({ ...perfect, engagement_rate: 0.0652 })).toMatchObject({ score: 89.9, status: "good" });
  });

  it("stays within 0..100 with one decimal, and never rises when bounces or complaints do", () => {
    const rate = fc.double({ min: 0, max: 1, noNaN: true });
    fc.assert(
      fc.property(rate, rate, rate, rate, fc.double({ min: 0, max: 0.1, noNaN: true }), (b, c, d, e, more) => {
        const rates = { bounce_rate: b, complaint_rate: c, delivery_rate: d, engagement_rate: e };
        const { score, status } = healthScore(rates);
        expect(score).toBeGreaterThanOrEqual(0);
        expect(score).toBeLessThanOrEqual(100);
        expect(Math.round(score * 10) / 10).toBe(score);
        expect(status).toBe(healthTier(score));
        expect(healthScore({ ...rates, bounce_rate: b + more }).score).toBeLessThanOrEqual(score);
        expect(healthScore({ ...rates, complaint_rate: c + more / 100 }).score).toBeLessThanOrEqual(score);
      }),
    );
  });
});

describe("rates from counts", () => {
  const counts = { sent: 1000, delivered: 980, bounced: 20, complained: 1, opened: 150, clicked: 46 };

  it("measures bounces and delivery against sends, complaints and engagement against deliveries", () => {
    const rates = ratesFromCounts(counts);
    expect(rates?.bounce_rate).toBeCloseTo(0.02);
    expect(rates?.delivery_rate).toBeCloseTo(0.98);
    expect(rates?.complaint_rate).toBeCloseTo(1 / 980);
    expect(rates?.engagement_rate).toBeCloseTo(0.2);
    // bounce 60, complaint 0 (just over 0.1 %), delivery 80, engagement 100: 21 + 0 + 12 + 15.
    expect(healthScoreFromCounts(counts)).toEqual({
      score: 48,
      status: "poor",
      components: { bounce: 60, complaint: 0, delivery: 80, engagement: 100 },
    });
  });

  it.each([
    ["nothing sent", { ...counts, sent: 0, delivered: 0, bounced: 0 }],
    ["nothing resolved yet (all in flight)", { ...counts, delivered: 0, bounced: 0, complained: 0, opened: 0, clicked: 0 }],
  ])("has no data when %s", (_, c) => {
    expect(ratesFromCounts(c)).toBeNull();
    expect(healthScoreFromCounts(c)).toBeNull();
  });

  it("scores a sender whose every send bounced, and clamps late events to 100 %", () => {
    expect(healthScoreFromCounts({ sent: 200, delivered: 0, bounced: 200, complained: 0, opened: 0, clicked: 0 })).toMatchObject({
      score: 35,
      status: "poor",
    });
    expect(ratesFromCounts({ sent: 100, delivered: 130, bounced: 0, complained: 0, opened: 0, clicked: 0 })?.delivery_rate).toBe(1);
  });
});
