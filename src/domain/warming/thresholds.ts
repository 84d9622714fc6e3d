import type { WorkspaceSettings } from "../../db/schema";

export interface WarmingThresholds {
  max_bounce_rate: number;
  max_complaint_rate: number;
  min_delivery_rate: number;
}

/** The spec's auto-pause thresholds (warming_service.py:34-37). */
export const DEFAULT_WARMING_THRESHOLDS: Readonly<WarmingThresholds> = {
  max_bounce_rate: 0.05,
  max_complaint_rate: 0.001,
  min_delivery_rate: 0.9,
};

/**
 * Below 100 sends a rate says little: two bounces out of 30 would read as 6.7 %. At 100 a breach needs six
 * bounces, which is a pattern rather than two typos. Complaints stay sensitive on purpose: at this volume a
 * single complaint exceeds 0.1 %, and one complaint among a new domain's first few hundred sends is worth an
 * operator's look before the ramp multiplies it.
 */
export const THRESHOLD_MINIMUM_VOLUME = 100;

/**
 * The window is the workspace's current local day and the one before. Today alone is too thin in its early
 * hours (the window would restart at every local midnight), and two days still react within the hour when a
 * ramp step goes wrong. Day 1 of every built-in schedule is below the minimum on its own, so the check starts
 * to bite on day 2.
 */
export const THRESHOLD_WINDOW_DAYS = 2;

export interface OutcomeCounts {
  sent: number;
  delivered: number;
  bounced: number;
  complained: number;
}

export interface RateWindow extends OutcomeCounts {
  bounce_rate: number | null;
  complaint_rate: number | null;
  delivery_rate: number | null;
}

export const ZERO_COUNTS: Readonly<OutcomeCounts> = { sent: 0, delivered: 0, bounced: 0, complained: 0 };

/** Clamped to [0, 1]: a day also receives events of sends made the day before, so a ratio can overshoot. */
const ratio = (part: number, whole: number) => (whole > 0 ? Math.min(1, Math.max(0, part / whole)) : null);

/**
 * Every rate is over sends, and counts only outcomes that have been reported. A pause is sticky, so it must not
 * fire on event lag: right after a burst, most sends have no delivery event yet, and deferred (greylisted) mail
 * — common for a new domain — can take an hour to deliver. Hence the delivery rate is (sent − bounced) / sent,
 * the industry's definition (mail not rejected by the receiving server), and not delivered / sent, which would
 * read in-flight mail as lost. Until rejects and drops reach warming as outcomes of their own, a bounce is the
 * only evidence of non-delivery, so under the default thresholds the bounce ceiling trips before the delivery
 * floor; the floor bites when a workspace relaxes the bounce ceiling. Complaints are over sends, too, because
 * deliveries lag sends and a ratio over deliveries would overstate them right after a burst.
 */
export function rateWindow(counts: OutcomeCounts): RateWindow {
  return {
    ...counts,
    bounce_rate: ratio(counts.bounced, counts.sent),
    complaint_rate: ratio(counts.complained, counts.sent),
    delivery_rate: ratio(counts.sent - counts.bounced, counts.sent),
  };
}

export function sumCounts(rows: readonly OutcomeCounts[]): OutcomeCounts {
  return rows.reduce(
    (sum, row) => ({
      sent: sum.sent + row.sent,
      delivered: sum.delivered + row.delivered,
      bounced: sum.bounced + row.bounced,
      complained: sum.complained + row.complained,
    }),
    { ...ZERO_COUNTS },
  );
}

const isRate = (value: unknown): value is number => typeof value === "number" && Number.isFinite(value) && value >= 0 && value <= 1;

/** A workspace's overrides on top of the defaults; a value that is not a rate in [0, 1] is ignored. */
export function resolveThresholds(settings: WorkspaceSettings | null | undefined): WarmingThresholds {
  const overrides = settings?.warming_thresholds ?? {};
  const pick = (key: keyof WarmingThresholds) => {
    const value: unknown = overrides[key];
    return isRate(value) ? value : DEFAULT_WARMING_THRESHOLDS[key];
  };
  return {
    max_bounce_rate: pick("max_bounce_rate"),
    max_complaint_rate: pick("max_complaint_rate"),
    min_delivery_rate: pick("min_delivery_rate"),
  };
}

const percent = (rate: number) => `${(rate * 100).toFixed(2)}%`;

export function evaluateThresholds(
  window: RateWindow,
  thresholds: WarmingThresholds,
  minimumVolume: number,
): { breached: boolean; reasons: string[] } {
  if (window.sent < minimumVolume) return { breached: false, reasons: [] };
  const reasons: string[] = [];
  if (window.bounce_rate !== null && window.bounce_rate > thresholds.max_bounce_rate) {
    reasons.push(`bounce rate ${percent(window.bounce_rate)} is above ${percent(thresholds.max_bounce_rate)}`);
  }
  if (window.complaint_rate !== null && window.complaint_rate > thresholds.max_complaint_rate) {
    reasons.push(`complaint rate ${percent(window.complaint_rate)} is above ${percent(thresholds.max_complaint_rate)}`);
  }
  if (window.delivery_rate !== null && window.delivery_rate < thresholds.min_delivery_rate) {
    reasons.push(`delivery rate ${percent(window.delivery_rate)} is below ${percent(thresholds.min_delivery_rate)}`);
  }
  return { breached: reasons.length > 0, reasons };
}
