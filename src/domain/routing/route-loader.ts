import { and, eq, inArray } from "drizzle-orm";
import type { Database } from "../../db/client";
import {
  type DedicatedIp,
  dedicatedIps,
  type RoutingConfig,
  type SendingDomain,
  sendingDomains,
  sendingIdentities,
  sendingPoolMembers,
  sendingPools,
} from "../../db/schema";
import { sendingHost } from "../domains/sending-domains";
import { invalidField, notFound } from "../errors";
import { providerAllowance } from "../provider-accounts/provider-limits";
import { checkPreferredProviders, listProviderRows } from "../provider-accounts/providers";
import { ispScores } from "../reputation/isp-metrics";
import { HEALTH_WINDOW_DAYS } from "../reputation/target-health";
import { throttleFor } from "../warming/throttle";
import { chooseRoute } from "./router";
import type { DomainCandidate, ProviderCandidate, RoutingDecision } from "./types";

export interface RoutingState {
  config: RoutingConfig;
  domains: DomainCandidate[];
  providers: ProviderCandidate[];
}

/** With no pool named, a workspace without a default pool routes over all its domains by priority. */
const WHOLE_WORKSPACE: RoutingConfig = { strategy: "priority", fallback_enabled: true };

async function remainingToday(env: Env, type: "domain" | "ip", id: string): Promise<number | null> {
  const state = await throttleFor(env, { type, id }).state();
  return state.daily_limit === null ? null : Math.max(0, state.daily_limit - state.daily_sent);
}

/**
 * The pool's IPs are shared by its domains: each domain goes out through the IP with the most room left today,
 * and when a pool has IPs but none can send, its domains cannot either (sending from an unwarmed shared IP
 * instead would undo the warming).
 */
async function bestIp(env: Env, ips: DedicatedIp[]): Promise<DomainCandidate["dedicated_ip"]> {
  if (ips.length === 0) return null;
  const rooms = await Promise.all(
    ips.map(async (ip) => ({
      ip,
      paused: ip.warming_status === "paused" || ip.status === "paused",
      remaining: await remainingToday(env, "ip", ip.id),
    })),
  );
  const open = rooms.filter((r) => !r.paused && (r.remaining === null || r.remaining > 0));
  const pick = open.sort((a, b) => (b.remaining ?? Number.POSITIVE_INFINITY) - (a.remaining ?? Number.POSITIVE_INFINITY))[0] ?? rooms[0];
  return { ip_id: pick.ip.id, remaining_today: pick.remaining, paused: pick.paused };
}

async function poolMembers(db: Database, workspaceId: string, poolId: string | null) {
  const pool = poolId
    ? await db
        .select()
        .from(sendingPools)
        .where(and(eq(sendingPools.workspace_id, workspaceId), eq(sendingPools.id, poolId)))
        .get()
    : await db
        .select()
        .from(sendingPools)
        .where(and(eq(sendingPools.workspace_id, workspaceId), eq(sendingPools.is_default, true)))
        .get();
  if (poolId && !pool) throw notFound("Sending pool");
  if (!pool) {
    const domains = await db.select().from(sendingDomains).where(eq(sendingDomains.workspace_id, workspaceId));
    return { config: WHOLE_WORKSPACE, domains: domains.map((d) => ({ domain: d, weight: 1, priority: 100 })), ips: [] as DedicatedIp[] };
  }
  const members = await db.select().from(sendingPoolMembers).where(eq(sendingPoolMembers.pool_id, pool.id));
  const domainIds = members.flatMap((m) => (m.domain_id ? [m.domain_id] : []));
  const ipIds = members.flatMap((m) => (m.dedicated_ip_id ? [m.dedicated_ip_id] : []));
  const domains = domainIds.length ? await db.select().from(sendingDomains).where(inArray(sendingDomains.id, domainIds)) : [];
  const ips = ipIds.length ? await db.select().from(dedicatedIps).where(inArray(dedicatedIps.id, ipIds)) : [];
  const byId = new Map<string, SendingDomain>(domains.map((d) => [d.id, d]));
  return {
    config: pool.routing_config,
    domains: members.flatMap((m) => {
      const domain = m.domain_id ? byId.get(m.domain_id) : undefined;
      return domain ? [{ domain, weight: m.weight, priority: m.priority }] : [];
    }),
    ips,
  };
}

/** Everything the router weighs, read from D1 and from the DomainThrottle and ProviderLimiter objects. */
export async function loadRoutingState(
  db: Database,
  env: Env,
  workspaceId: string,
  poolId: string | null,
  now: Date,
): Promise<RoutingState> {
  const { config, domains, ips } = await poolMembers(db, workspaceId, poolId);
  const ids = domains.map((d) => d.domain.id);
  const identities = ids.length ? await db.select().from(sendingIdentities).where(inArray(sendingIdentities.domain_id, ids)) : [];
  const since = new Date(now.getTime() - (HEALTH_WINDOW_DAYS - 1) * 86_400_000).toISOString().slice(0, 10);
  const isp = await ispScores(
    db,
    workspaceId,
    ids.map((id) => ({ target_type: "domain" as const, target_id: id })),
    since,
  );
  const ip = await bestIp(env, ips);
  const domainCandidates = await Promise.all(
    domains.map(
      async ({ domain, weight, priority }): Promise<DomainCandidate> => ({
        domain_id: domain.id,
        domain: sendingHost(domain),
        status: domain.status,
        warming_status: domain.warming_status,
        health_score: domain.health_score,
        remaining_today: await remainingToday(env, "domain", domain.id),
        weight,
        priority,
        identities: identities
          .filter((i) => i.domain_id === domain.id)
          .map((i) => ({ identity_id: i.id, email: i.email, is_default: i.is_default })),
        isp_scores: isp.get(domain.id) ?? {},
        marketing_paused: domain.marketing_paused_at !== null,
        dedicated_ip: ip,
      }),
    ),
  );
  const providers = await Promise.all(
    (await listProviderRows(db, workspaceId)).map(async (p): Promise<ProviderCandidate> => {
      const allowance = await providerAllowance(env, p.id, now);
      return {
        provider_id: p.id,
        provider_type: p.provider_type,
        priority: p.priority,
        is_default: p.is_default,
        healthy: p.last_check_status !== "failed",
        remaining_today: allowance.remaining_today,
        remaining_this_second: allowance.remaining_this_second,
      };
    }),
  );
  return { config, domains: domainCandidates, providers };
}

export interface RouteRequest {
  recipient_email: string;
  sending_identity_id?: string | null;
  preferred_providers?: string[];
  sequence?: number;
  exclude_provider_ids?: string[];
}

/** Routes one recipient through a pool (or the workspace's default routing): the decision and its reasons. */
export async function routeRecipient(
  db: Database,
  env: Env,
  workspaceId: string,
  poolId: string | null,
  request: RouteRequest,
  now: Date,
): Promise<RoutingDecision> {
  const state = await loadRoutingState(db, env, workspaceId, poolId, now);
  await checkPreferredProviders(db, workspaceId, request.preferred_providers, "preferred_providers");
  if (request.sending_identity_id) {
    const identity = await db
      .select({ id: sendingIdentities.id })
      .from(sendingIdentities)
      .where(and(eq(sendingIdentities.workspace_id, workspaceId), eq(sendingIdentities.id, request.sending_identity_id)))
      .get();
    if (!identity) throw invalidField("body", "sending_identity_id", "no sending identity with this id in the workspace");
  }
  return chooseRoute(state.domains, state.providers, {
    recipient_email: request.recipient_email,
    strategy: state.config.strategy,
    preferred_providers: request.preferred_providers ?? state.config.preferred_providers,
    fallback_enabled: state.config.fallback_enabled ?? true,
    sending_identity_id: request.sending_identity_id ?? null,
    sequence: request.sequence ?? 0,
    exclude_provider_ids: request.exclude_provider_ids,
  });
}
