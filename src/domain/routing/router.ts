import { healthTier, ROUTING_HEALTH_FLOOR } from "../reputation/health-score";
import { classifyIsp, type Isp } from "../reputation/isp";
import { strategyOrder } from "./strategies";
import type { DomainCandidate, ProviderCandidate, RouteChoice, RoutingDecision, RoutingRequest, SendingIdentityCandidate } from "./types";

/**
 * Enough routes for any realistic chain of failures on one recipient; a caller that exhausts them can ask
 * again with the failed ones excluded.
 */
export const MAX_FALLBACKS = 10;

const SENDABLE_STATUSES: ReadonlySet<string> = new Set<DomainCandidate["status"]>(["verified", "active", "warming"]);
const NONE: readonly string[] = [];

function whyUnsendable(
  d: DomainCandidate,
  excluded: readonly string[],
  verificationNotRequired: boolean,
  marketing: boolean,
): string | null {
  if (excluded.includes(d.domain_id)) return "already failed for this recipient";
  if (marketing && d.marketing_paused) return "marketing paused (complaint rate)";
  if (!verificationNotRequired && !SENDABLE_STATUSES.has(d.status)) return `status ${d.status}`;
  if (d.warming_status === "paused") return "warming paused";
  if (d.remaining_today !== null && d.remaining_today <= 0) return "at daily cap";
  if (d.identities.length === 0) return "no sending identity";
  const ip = d.dedicated_ip;
  if (ip?.paused) return `dedicated IP ${ip.ip_id} paused`;
  if (ip && ip.remaining_today !== null && ip.remaining_today <= 0) return `dedicated IP ${ip.ip_id} at daily cap`;
  return null;
}

function defaultIdentity(d: DomainCandidate): SendingIdentityCandidate {
  for (const identity of d.identities) if (identity.is_default) return identity;
  return d.identities[0];
}

function describeHealth(d: DomainCandidate): string {
  return d.health_score === null
    ? `${d.domain}: no health score yet`
    : `${d.domain}: health ${d.health_score} (${healthTier(d.health_score)})`;
}

function describeAffinity(d: DomainCandidate, isp: Isp): string {
  const score = d.isp_scores[isp];
  if (score !== undefined) return `${isp} affinity ${score} on ${d.domain}`;
  return isWarmingUnscored(d, isp)
    ? `no ${isp} score on ${d.domain} yet (warming: not held back by affinity)`
    : `no ${isp} score on ${d.domain}`;
}

/**
 * How well a domain is known to do at the recipient's ISP, best first. A known excellent or good score beats
 * no data; no data beats a known fair-or-worse score (unknown is not evidence of trouble).
 */
const AFFINITY_BANDS = ["excellent", "good", "no data", "fair", "poor", "critical"] as const;
const BANDS = AFFINITY_BANDS.length;
const NO_DATA_BAND = AFFINITY_BANDS.indexOf("no data");

function affinityBand(score: number | undefined): number {
  return score === undefined ? NO_DATA_BAND : AFFINITY_BANDS.indexOf(healthTier(score));
}

/**
 * A warming domain has no score at an ISP until it has sent there, and would never send there if established
 * domains with scores always won: its warming cap would go unfilled and it would never warm up. So a warming
 * domain without a score at the recipient's ISP joins the best band present in its health tier (or "no data"
 * when that is the best); its cap
 * bounds what it can take, and a score it does have (good or bad) counts as for any domain.
 */
function isWarmingUnscored(d: DomainCandidate, isp: Isp): boolean {
  return d.warming_status === "warming" && d.isp_scores[isp] === undefined;
}

/**
 * Health tier: 0 for a score at or above the routing floor and for no score yet (a new or warming domain has
 * none, and must receive mail to earn one; its warming cap already bounds the risk), 1 below the floor.
 */
function healthTierOf(d: DomainCandidate): number {
  return d.health_score === null || d.health_score >= ROUTING_HEALTH_FLOOR ? 0 : 1;
}

interface DomainPlan {
  /** Best first; the first is the pick. Empty when nothing is sendable. */
  domains: DomainCandidate[];
  /** The identity the request pinned; otherwise each domain's default identity is used. */
  pinned: SendingIdentityCandidate | null;
  /** Why the first domain is the pick: stated only once a provider is found too, so a failed route never names a pick. */
  picked: string[];
}

const identityOn = (plan: DomainPlan, d: DomainCandidate) => plan.pinned ?? defaultIdentity(d);

function addToSlot<T>(slots: (T[] | undefined)[], index: number, item: T) {
  const slot = slots[index];
  if (slot) slot.push(item);
  else slots[index] = [item];
}

/**
 * Domain order: health tier first (a domain below the floor is used only when no domain of the upper tier is
 * sendable), then ISP affinity within the tier (only the best affinity band present competes; see
 * isWarmingUnscored for the one exception), then the pool's strategy picks within that band. Every other
 * sendable domain follows, band by band and tier by tier, as failover candidates.
 */
function planDomains(domains: readonly DomainCandidate[], request: RoutingRequest, isp: Isp, reasons: string[]): DomainPlan {
  const excluded = request.exclude_domain_ids ?? NONE;
  const groups: (DomainCandidate[] | undefined)[] = new Array(2 * BANDS);
  let warming: DomainCandidate[] | null = null;
  for (const d of domains) {
    const why = whyUnsendable(d, excluded, request.verification_not_required === true, request.marketing === true);
    if (why) reasons.push(`skipped ${d.domain}: ${why}`);
    else if (isWarmingUnscored(d, isp)) {
      warming ??= [];
      warming.push(d);
    } else addToSlot(groups, healthTierOf(d) * BANDS + affinityBand(d.isp_scores[isp]), d);
  }
  for (const d of warming ?? []) {
    const tier = healthTierOf(d) * BANDS;
    let band = 0;
    while (band < NO_DATA_BAND && !groups[tier + band]) band++;
    addToSlot(groups, tier + band, d);
  }
  const chosenSlot = groups.findIndex((g) => g !== undefined);
  if (chosenSlot === -1) {
    reasons.push("no sendable domain");
    return { domains: [], pinned: null, picked: [] };
  }

  const chosenTier = Math.floor(chosenSlot / BANDS);
  const ordered: DomainCandidate[] = [];
  let tierSize = 0;
  let pickReason = "";
  for (let slot = chosenSlot; slot < groups.length; slot++) {
    const group = groups[slot];
    if (!group) continue;
    const chosenGroup = slot === chosenSlot;
    const order = strategyOrder(group, request, chosenGroup ? (request.random ?? Math.random) : null);
    if (chosenGroup) pickReason = order.reason;
    ordered.push(...order.ordered);
    if (Math.floor(slot / BANDS) === chosenTier) tierSize += group.length;
  }

  if (chosenTier === 1) reasons.push(`no sendable domain has health ≥ ${ROUTING_HEALTH_FLOOR} or no score yet; using lower-health domains`);
  for (let slot = BANDS; chosenTier === 0 && slot < groups.length; slot++) {
    for (const d of groups[slot] ?? []) reasons.push(`${describeHealth(d)}, below ${ROUTING_HEALTH_FLOOR}: held back`);
  }
  const chosenCount = (groups[chosenSlot] as DomainCandidate[]).length;
  if (chosenCount < tierSize)
    reasons.push(`${isp} affinity narrows ${tierSize} domains to ${chosenCount} (${AFFINITY_BANDS[chosenSlot % BANDS]})`);
  const chosen = ordered[0];
  return { domains: ordered, pinned: null, picked: [pickReason, describeAffinity(chosen, isp), describeHealth(chosen)] };
}

/** A pinned identity routes through its own domain or not at all: the sender's From address is not ours to change. */
function planPinned(domains: readonly DomainCandidate[], request: RoutingRequest, isp: Isp, reasons: string[]): DomainPlan {
  const identityId = request.sending_identity_id;
  for (const d of domains) {
    const identity = d.identities.find((i) => i.identity_id === identityId);
    if (!identity) continue;
    const why = whyUnsendable(
      d,
      request.exclude_domain_ids ?? NONE,
      request.verification_not_required === true,
      request.marketing === true,
    );
    if (why) {
      reasons.push(`pinned identity ${identity.email} is on ${d.domain}, which is unsendable: ${why}`);
      return { domains: [], pinned: identity, picked: [] };
    }
    return {
      domains: [d],
      pinned: identity,
      picked: [`pinned identity ${identity.email} → ${d.domain}`, describeAffinity(d, isp), describeHealth(d)],
    };
  }
  reasons.push(`pinned identity ${identityId} is not on any domain of the pool`);
  return { domains: [], pinned: null, picked: [] };
}

function whyProviderUnavailable(p: ProviderCandidate, excluded: readonly string[]): string | null {
  if (excluded.includes(p.provider_id)) return "already failed for this recipient";
  if (!p.healthy) return "unhealthy";
  if (p.remaining_today !== null && p.remaining_today <= 0) return "at daily cap";
  if (p.remaining_this_second !== null && p.remaining_this_second <= 0) return "at its per-second limit (available later)";
  return null;
}

interface RankedProvider {
  provider: ProviderCandidate;
  /** Position of the first preferred entry it matches; the list's length when it matches none. */
  preference: number;
  unavailable: string | null;
}

function preferenceOf(p: ProviderCandidate, preferred: readonly string[]): number {
  for (let i = 0; i < preferred.length; i++) if (preferred[i] === p.provider_id || preferred[i] === p.provider_type) return i;
  return preferred.length;
}

function byProviderRank(a: RankedProvider, b: RankedProvider): number {
  const p = a.provider;
  const q = b.provider;
  return (
    a.preference - b.preference ||
    p.priority - q.priority ||
    Number(q.is_default) - Number(p.is_default) ||
    (p.provider_id < q.provider_id ? -1 : p.provider_id > q.provider_id ? 1 : 0)
  );
}

/**
 * Providers best first: the request's preferred list in its order (an entry matches a provider id or a
 * provider type), then priority ascending, the default first on ties. With fallback disabled and a
 * preferred list given, only preferred providers are candidates; without a list every provider is a primary.
 */
function planProviders(providers: readonly ProviderCandidate[], request: RoutingRequest, reasons: string[]): ProviderCandidate[] {
  const preferred = request.preferred_providers ?? NONE;
  const excluded = request.exclude_provider_ids ?? NONE;
  const onlyPreferred = !request.fallback_enabled && preferred.length > 0;
  const ranked: RankedProvider[] = [];
  for (const provider of providers) {
    const preference = preferenceOf(provider, preferred);
    if (onlyPreferred && preference === preferred.length) continue;
    ranked.push({ provider, preference, unavailable: whyProviderUnavailable(provider, excluded) });
  }
  ranked.sort(byProviderRank);
  if (ranked.length < providers.length) reasons.push(`fallback disabled: only preferred providers (${preferred.join(", ")})`);

  const available: ProviderCandidate[] = [];
  for (let i = 0; i < ranked.length; i++) {
    const { provider, unavailable } = ranked[i];
    if (unavailable === null) {
      available.push(provider);
      continue;
    }
    let next = "none";
    for (let j = i + 1; j < ranked.length; j++) {
      if (ranked[j].unavailable === null) {
        next = ranked[j].provider.provider_id;
        break;
      }
    }
    reasons.push(`provider ${provider.provider_id} ${unavailable}, next: ${next}`);
  }
  if (available.length === 0) reasons.push(ranked.length ? "no provider available" : "no provider in the pool");
  return available;
}

/** Why the first available provider is the pick; said only when the route is made. */
function providerPick(first: ProviderCandidate, preferred: readonly string[]): string {
  const rank = preferenceOf(first, preferred);
  return `provider ${first.provider_id}: ${rank < preferred.length ? `preferred (${preferred[rank]})` : `priority ${first.priority}`}`;
}

/** Provider failover on the chosen domain first (the spec's failover), then the other domains. */
function fallbackRoutes(plan: DomainPlan, providers: readonly ProviderCandidate[]): RouteChoice[] {
  const routes: RouteChoice[] = [];
  for (const d of plan.domains) {
    const identity_id = identityOn(plan, d).identity_id;
    for (const p of providers) {
      if (routes.length > MAX_FALLBACKS) return routes.slice(1);
      routes.push({ domain_id: d.domain_id, identity_id, provider_id: p.provider_id });
    }
  }
  return routes.slice(1);
}

/**
 * Picks the domain, identity and provider for one recipient. Pure and synchronous: the caller loads the
 * candidates (health, caps, ISP scores, provider limits) and passes them in; `reasons` says, in short human
 * strings, why each candidate was used or passed over.
 */
export function chooseRoute(domains: DomainCandidate[], providers: ProviderCandidate[], request: RoutingRequest): RoutingDecision {
  const reasons: string[] = [];
  const isp = classifyIsp(request.recipient_email);
  const plan = request.sending_identity_id ? planPinned(domains, request, isp, reasons) : planDomains(domains, request, isp, reasons);
  const providerReasons: string[] = [];
  const available = planProviders(providers, request, providerReasons);
  const domain = plan.domains[0];
  // A route needs both a domain and a provider: without either, neither half is a choice, and no reason may say it is.
  if (!domain || available.length === 0) return { ok: false, reasons: [...reasons, ...providerReasons] };
  const identity = identityOn(plan, domain);
  reasons.push(
    ...plan.picked,
    ...providerReasons,
    providerPick(available[0], request.preferred_providers ?? NONE),
    `identity ${identity.email}${plan.pinned ? " (pinned)" : identity.is_default ? " (default)" : " (first on the domain)"}`,
  );
  return {
    ok: true,
    domain_id: domain.domain_id,
    identity_id: identity.identity_id,
    provider_id: available[0].provider_id,
    ip_id: domain.dedicated_ip?.ip_id ?? null,
    isp,
    reasons,
    fallbacks: request.fallback_enabled ? fallbackRoutes(plan, available) : [],
  };
}
