import type { DomainCandidate, RoutingRequest } from "./types";

export type RoutingStrategy = RoutingRequest["strategy"];

/** A group of domains in the order they should be tried: the first is the pick, `reason` says why. */
export interface StrategyOrder {
  ordered: DomainCandidate[];
  reason: string;
}

const byId = (a: DomainCandidate, b: DomainCandidate) => (a.domain_id < b.domain_id ? -1 : a.domain_id > b.domain_id ? 1 : 0);

/** No score yet ranks below any score: a known-healthy domain is the safer bet at equal priority. */
const byHealthDesc = (a: DomainCandidate, b: DomainCandidate) => (b.health_score ?? -1) - (a.health_score ?? -1);

const usableWeight = (d: DomainCandidate) => (Number.isFinite(d.weight) && d.weight > 0 ? d.weight : 0);

export function priorityOrder(group: readonly DomainCandidate[]): StrategyOrder {
  const ordered = [...group].sort((a, b) => a.priority - b.priority || byHealthDesc(a, b) || byId(a, b));
  const first = ordered[0];
  return { ordered, reason: `priority ${first.priority} (lowest of ${group.length} domains) → ${first.domain}` };
}

/** Sorted by id so that the same sequence number picks the same domain however the caller listed them. */
export function roundRobinOrder(group: readonly DomainCandidate[], sequence: number): StrategyOrder {
  const sorted = [...group].sort(byId);
  const n = sorted.length;
  const start = ((Math.floor(sequence) % n) + n) % n;
  const ordered = [...sorted.slice(start), ...sorted.slice(0, start)];
  return { ordered, reason: `round robin #${sequence} of ${n} domains → ${ordered[0].domain}` };
}

/**
 * One draw, proportional to weight; the rest follow by weight (heaviest first) for failover, so a draw is
 * spent on the pick only. Weights that are not positive numbers count as 0; if every weight is 0 the
 * domains share equally rather than none being sendable.
 */
export function weightedOrder(group: readonly DomainCandidate[], random: () => number): StrategyOrder {
  const sorted = [...group].sort(byId);
  const weights = sorted.map(usableWeight);
  const sum = weights.reduce((s, w) => s + w, 0);
  const effective = sum > 0 ? weights : weights.map(() => 1);
  const total = sum > 0 ? sum : sorted.length;
  const draw = Math.min(Math.max(random(), 0), 1 - Number.EPSILON) * total;
  let index = 0;
  for (let acc = effective[0]; acc <= draw && index < sorted.length - 1; acc += effective[index]) index++;
  const pick = sorted[index];
  const rest = sorted.filter((_, i) => i !== index).sort((a, b) => usableWeight(b) - usableWeight(a) || byId(a, b));
  return { ordered: [pick, ...rest], reason: `weighted draw ${draw.toFixed(2)} of ${total} → ${pick.domain} (weight ${effective[index]})` };
}

/** Weight order without a draw, for the groups after the chosen one (failover candidates only). */
function heaviestFirst(group: readonly DomainCandidate[]): StrategyOrder {
  const ordered = [...group].sort((a, b) => usableWeight(b) - usableWeight(a) || byId(a, b));
  return { ordered, reason: `heaviest weight → ${ordered[0].domain}` };
}

/**
 * `random` is the draw of the weighted strategy; null orders a group that only supplies fallbacks, so the
 * draw is not spent on it.
 */
export function strategyOrder(group: readonly DomainCandidate[], request: RoutingRequest, random: (() => number) | null): StrategyOrder {
  switch (request.strategy) {
    case "priority":
      return priorityOrder(group);
    case "round_robin":
      return roundRobinOrder(group, request.sequence);
    case "weighted":
      return random ? weightedOrder(group, random) : heaviestFirst(group);
  }
}
