// The routing benchmark proper, run in Node by bench/routing/run.mjs: `node --import tsx bench/routing/routing.bench.ts
// <batches> <decisions per batch>`. Calls the real chooseRoute (src/domain/routing/router.ts) and prints the
// figures as JSON on stdout.
import { classifyIsp, type Isp } from "../../src/domain/reputation/isp";
import { chooseRoute } from "../../src/domain/routing/router";
import type { DomainCandidate, ProviderCandidate, RoutingRequest } from "../../src/domain/routing/types";
import { seededRandom } from "../../test/fixtures/seeded-random.mjs";

const BATCHES = Number(process.argv[2] ?? 30);
const PER_BATCH = Number(process.argv[3] ?? 10_000);
const WARMUP_BATCHES = 3;
const RECIPIENTS = 50_000;

type Spec = Partial<DomainCandidate> & { letter: string };

/**
 * A pool as a workspace a few months in might have it: established domains with per-ISP strengths, two
 * warming up, two below the health floor, one paused by the warming thresholds, one at today's cap.
 */
const DOMAIN_SPECS: Spec[] = [
  {
    letter: "a",
    health_score: 96,
    weight: 3,
    priority: 1,
    isp_scores: { gmail: 97, microsoft: 92, other: 95 },
    dedicated_ip: { ip_id: "ip_a", remaining_today: null, paused: false },
  },
  {
    letter: "b",
    health_score: 91,
    weight: 3,
    priority: 1,
    isp_scores: { gmail: 88, yahoo: 94, other: 90 },
    dedicated_ip: { ip_id: "ip_b", remaining_today: 90_000, paused: false },
  },
  { letter: "c", health_score: 88, weight: 2, priority: 2, isp_scores: { microsoft: 95, apple: 90, other: 86 } },
  { letter: "d", health_score: 84, weight: 2, priority: 2, isp_scores: { gmail: 83, other: 84 } },
  { letter: "e", status: "warming", warming_status: "warming", health_score: null, remaining_today: 400, weight: 1, priority: 3 },
  {
    letter: "f",
    status: "warming",
    warming_status: "warming",
    health_score: 82,
    remaining_today: 1500,
    weight: 1,
    priority: 3,
    isp_scores: { gmail: 91 },
  },
  { letter: "g", health_score: 72, weight: 1, priority: 4, isp_scores: { gmail: 65 } },
  { letter: "h", health_score: 55, weight: 1, priority: 4 },
  { letter: "i", status: "warming", warming_status: "paused", health_score: 41, weight: 1, priority: 5 },
  { letter: "j", status: "verified", health_score: 90, remaining_today: 0, weight: 2, priority: 2 },
];

export const domains: DomainCandidate[] = DOMAIN_SPECS.map(({ letter, ...rest }) => ({
  domain_id: `dom_${letter}`,
  domain: `mail.${letter}.example`,
  status: "active",
  warming_status: "completed",
  health_score: 90,
  remaining_today: null,
  weight: 1,
  priority: 10,
  identities: ["news", "hello", "team"].map((local, i) => ({
    identity_id: `idn_${letter}${i}`,
    email: `${local}@mail.${letter}.example`,
    is_default: i === 1,
  })),
  isp_scores: {},
  dedicated_ip: null,
  ...rest,
}));

/** One provider at its daily cap and one unhealthy, so every decision passes over two. */
export const providers: ProviderCandidate[] = [
  {
    provider_id: "ses-1",
    provider_type: "ses",
    priority: 1,
    is_default: true,
    healthy: true,
    remaining_today: 200_000,
    remaining_this_second: 14,
  },
  {
    provider_id: "postmark-1",
    provider_type: "postmark",
    priority: 2,
    is_default: false,
    healthy: true,
    remaining_today: null,
    remaining_this_second: null,
  },
  {
    provider_id: "mailgun-1",
    provider_type: "mailgun",
    priority: 3,
    is_default: false,
    healthy: true,
    remaining_today: 0,
    remaining_this_second: 10,
  },
  {
    provider_id: "sendgrid-1",
    provider_type: "sendgrid",
    priority: 4,
    is_default: false,
    healthy: false,
    remaining_today: null,
    remaining_this_second: null,
  },
];

/** Recipient domains with a rough consumer/company mix (shares in %), spelled as lists hold them. */
const MAILBOXES: [string, number][] = [
  ["gmail.com", 30],
  ["googlemail.com", 2],
  ["GMail.com", 1],
  ["outlook.com", 7],
  ["hotmail.com", 6],
  ["hotmail.co.uk", 2],
  ["live.com", 2],
  ["msn.com", 1],
  ["yahoo.com", 5],
  ["yahoo.co.uk", 1],
  ["aol.com", 2],
  ["ymail.com", 1],
  ["icloud.com", 6],
  ["me.com", 2],
  ["mac.com", 1],
];
const COMPANY_SHARE = 100 - MAILBOXES.reduce((s, [, w]) => s + w, 0);

function recipients(count: number): string[] {
  const random = seededRandom(7);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    let r = random() * 100;
    let domain = `company${Math.floor(random() * 3000)}.example`;
    if (r >= COMPANY_SHARE) {
      r -= COMPANY_SHARE;
      for (const [name, w] of MAILBOXES) {
        if (r < w) {
          domain = name;
          break;
        }
        r -= w;
      }
    }
    out.push(`user${i}@${domain}`);
  }
  return out;
}

const strategies: RoutingRequest["strategy"][] = ["priority", "weighted", "round_robin"];

function quantile(sorted: number[], q: number) {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

function runStrategy(strategy: RoutingRequest["strategy"], list: string[]) {
  const random = seededRandom(11);
  const chosenDomains: Record<string, number> = {};
  const chosenProviders: Record<string, number> = {};
  const byIsp: Record<string, Record<string, number>> = {};
  let refused = 0;
  let fallbacks = 0;
  let reasons = 0;
  let sequence = 0;
  const batch = (record: boolean) => {
    const t0 = performance.now();
    for (let i = 0; i < PER_BATCH; i++) {
      const recipient_email = list[sequence % list.length];
      const d = chooseRoute(domains, providers, { recipient_email, strategy, fallback_enabled: true, sequence, random });
      sequence++;
      if (!record) continue;
      reasons += d.reasons.length;
      if (!d.ok) {
        refused++;
        continue;
      }
      fallbacks += d.fallbacks.length;
      chosenDomains[d.domain_id] = (chosenDomains[d.domain_id] ?? 0) + 1;
      chosenProviders[d.provider_id] = (chosenProviders[d.provider_id] ?? 0) + 1;
      (byIsp[d.isp] ??= {})[d.domain_id] = (byIsp[d.isp][d.domain_id] ?? 0) + 1;
    }
    return performance.now() - t0;
  };
  for (let i = 0; i < WARMUP_BATCHES; i++) batch(false);
  const perSecond: number[] = [];
  for (let i = 0; i < BATCHES; i++) perSecond.push((PER_BATCH / batch(true)) * 1000);
  const sorted = [...perSecond].sort((a, b) => a - b);
  const decisions = BATCHES * PER_BATCH;
  const median = sorted.length % 2 ? sorted[(sorted.length - 1) / 2] : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
  return {
    strategy,
    batches: BATCHES,
    decisions_per_batch: PER_BATCH,
    warmup_batches: WARMUP_BATCHES,
    decisions_per_s: { median, p10: quantile(sorted, 0.1), p90: quantile(sorted, 0.9), min: sorted[0], max: sorted[sorted.length - 1] },
    us_per_decision_median: 1e6 / median,
    per_batch_decisions_per_s: perSecond,
    refused,
    mean_fallbacks: fallbacks / (decisions - refused),
    mean_reasons: reasons / decisions,
    chosen_domains: chosenDomains,
    chosen_providers: chosenProviders,
    by_isp: byIsp,
  };
}

const list = recipients(RECIPIENTS);
const ispMix: Partial<Record<Isp, number>> = {};
for (const r of list) {
  const isp = classifyIsp(r);
  ispMix[isp] = (ispMix[isp] ?? 0) + 1;
}
const results = strategies.map((s) => runStrategy(s, list));
process.stdout.write(
  `${JSON.stringify(
    {
      node: process.version,
      v8: process.versions.v8,
      recipients: RECIPIENTS,
      isp_mix: ispMix,
      domains: domains.map((d) => ({
        domain_id: d.domain_id,
        status: d.status,
        warming_status: d.warming_status,
        health_score: d.health_score,
        remaining_today: d.remaining_today,
        weight: d.weight,
        priority: d.priority,
        isp_scores: d.isp_scores,
        dedicated_ip: d.dedicated_ip?.ip_id ?? null,
      })),
      providers,
      results,
    },
    null,
    2,
  )}\n`,
);
