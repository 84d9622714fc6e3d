import type { healthStatuses } from "../../db/schema/enums";

/** Fractions 0..1, over a window of sends. */
export interface ReputationRates {
  bounce_rate: number;
  complaint_rate: number;
  delivery_rate: number;
  engagement_rate: number;
}

export interface HealthScore {
  /** 0..100, one decimal. */
  score: number;
  status: (typeof healthStatuses)[number];
  /** Each 0..100, one decimal, before weighting. */
  components: { bounce: number; complaint: number; delivery: number; engagement: number };
}

/** Outcome counts over a window, as isp_metrics and the campaign counters keep them. */
export interface OutcomeCounts {
  sent: number;
  delivered: number;
  bounced: number;
  complained: number;
  opened: number;
  clicked: number;
}

/** The spec's weighting (reputation_service.py:102-112): the two signals ISPs act on first weigh most. */
export const HEALTH_WEIGHTS = { bounce: 0.35, complaint: 0.35, delivery: 0.15, engagement: 0.15 } as const;

/** Spec best practice: domains below 80 are deprioritized by routing (and worth an operator's look). */
export const ROUTING_HEALTH_FLOOR = 80;

/**
 * Where each sub-score reaches 0 (or 100 for engagement); linear in between, clamped to 0..100.
 *
 * - Bounce: 0 % → 100, 5 % → 0. 5 % is the warming auto-pause threshold (DEFAULT_MAX_BOUNCE_RATE): a rate
 *   that pauses a domain outright must not leave any bounce credit.
 * - Complaint: 0 % → 100, 0.1 % → 0. 0.1 % is the complaint auto-pause threshold (DEFAULT_MAX_COMPLAINT_RATE),
 *   and also the rate Gmail and Yahoo tell bulk senders to stay under.
 * - Delivery: 100 % → 100, 90 % → 0. Losing a tenth of the mail before it reaches a mailbox (rejects,
 *   blocks, drops) is as bad as delivery gets for a sender still allowed to send.
 * - Engagement ((opens + clicks) / delivered): 0 → 0, 20 % → 100. 20 % is about the all-industry average
 *   open rate of marketing mail; a domain whose recipients engage at least that much has nothing to gain,
 *   and one well below it is the signal that ISPs use to move mail to spam. Opens are inflated by privacy
 *   proxies (Apple Mail Privacy Protection), which is one more reason not to reward rates above average.
 */
export const SUB_SCORE_ANCHORS = {
  bounce_rate_at_zero: 0.05,
  complaint_rate_at_zero: 0.001,
  delivery_rate_at_zero: 0.9,
  engagement_rate_at_full: 0.2,
} as const;

const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));
const oneDecimal = (x: number) => Math.round(x * 10) / 10;
const subScore = (fraction: number) => oneDecimal(clamp(100 * fraction, 0, 100));

export function healthTier(score: number): HealthScore["status"] {
  if (score >= 90) return "excellent";
  if (score >= 70) return "good";
  if (score >= 50) return "fair";
  if (score >= 30) return "poor";
  return "critical";
}

export function healthScore(rates: ReputationRates): HealthScore {
  const a = SUB_SCORE_ANCHORS;
  const components = {
    bounce: subScore(1 - rates.bounce_rate / a.bounce_rate_at_zero),
    complaint: subScore(1 - rates.complaint_rate / a.complaint_rate_at_zero),
    delivery: subScore((rates.delivery_rate - a.delivery_rate_at_zero) / (1 - a.delivery_rate_at_zero)),
    engagement: subScore(rates.engagement_rate / a.engagement_rate_at_full),
  };
  const w = HEALTH_WEIGHTS;
  const weighted =
    w.bounce * components.bounce +
    w.complaint * components.complaint +
    w.delivery * components.delivery +
    w.engagement * components.engagement;
  // The tier is taken from the rounded score so that a displayed 90.0 never reads "good".
  const score = oneDecimal(clamp(weighted, 0, 100));
  return { score, status: healthTier(score), components };
}

const ratio = (part: number, whole: number) => (whole > 0 ? clamp(part / whole, 0, 1) : 0);

/**
 * Rates from counts. Bounces and delivery are measured against sends; complaints and engagement against
 * deliveries, since only delivered mail can be reported as spam or opened (and that is how Gmail's Postmaster
 * Tools counts spam rate). Ratios are clamped to 1: a window can hold events of sends made before it began.
 *
 * No data: null when nothing was sent, or when no send has an outcome yet (no delivery and no bounce). Mail
 * still in flight would otherwise read as undelivered and score a fresh domain as failing; null tells the
 * caller "unknown", which routing treats as eligible.
 */
export function ratesFromCounts(c: OutcomeCounts): ReputationRates | null {
  if (c.sent <= 0 || c.delivered + c.bounced <= 0) return null;
  return {
    bounce_rate: ratio(c.bounced, c.sent),
    complaint_rate: ratio(c.complained, c.delivered),
    delivery_rate: ratio(c.delivered, c.sent),
    engagement_rate: ratio(c.opened + c.clicked, c.delivered),
  };
}

export function healthScoreFromCounts(c: OutcomeCounts): HealthScore | null {
  const rates = ratesFromCounts(c);
  return rates ? healthScore(rates) : null;
}
