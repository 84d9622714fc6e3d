import { eq, inArray } from "drizzle-orm";
import type { Database } from "../../db/client";
import {
  type EmailProvider,
  emailProviders,
  type SendingDomain,
  type SendingIdentity,
  sendingDomains,
  sendingIdentities,
  workspaces,
} from "../../db/schema";
import { LruCache } from "../../lib/lru-cache";
import { loadRoutingState, type RoutingState } from "../routing/route-loader";
import type { SendingWorkspace } from "./personalize";

/** What a send batch routes over: the same for every batch of a workspace and pool, give or take a few seconds. */
export interface SendingSetup {
  workspace: SendingWorkspace;
  state: RoutingState;
  providers: EmailProvider[];
  domains: SendingDomain[];
  identities: SendingIdentity[];
}

/**
 * How long a batch may reuse the setup an earlier batch of the same workspace and pool loaded. Caps are not at
 * risk: every batch still takes its sends from the DomainThrottle and ProviderLimiter objects, whose answer is
 * final. What may be this old is a domain's status, a provider's health and the ISP scores the router weighs.
 */
export const SETUP_TTL_MS = 5_000;

interface Entry {
  loadedAt: number;
  setup: Promise<SendingSetup>;
}

const setups = new LruCache<Entry>(100);

const keyOf = (workspaceId: string, poolId: string | null) => `${workspaceId}\u0000${poolId ?? ""}`;

/** Loads the setup now, uncached: for a test send, which a person runs right after changing something. */
export async function loadSendingSetup(
  db: Database,
  env: Env,
  workspaceId: string,
  poolId: string | null,
  now: Date,
): Promise<SendingSetup> {
  const workspace = await db
    .select({ id: workspaces.id, name: workspaces.name, postal_address: workspaces.postal_address })
    .from(workspaces)
    .where(eq(workspaces.id, workspaceId))
    .get();
  const state = await loadRoutingState(db, env, workspaceId, poolId, now);
  const providerIds = state.providers.map((p) => p.provider_id);
  const domainIds = state.domains.map((d) => d.domain_id);
  const [providers, domains, identities] = await Promise.all([
    providerIds.length ? db.select().from(emailProviders).where(inArray(emailProviders.id, providerIds)) : [],
    domainIds.length ? db.select().from(sendingDomains).where(inArray(sendingDomains.id, domainIds)) : [],
    domainIds.length ? db.select().from(sendingIdentities).where(inArray(sendingIdentities.domain_id, domainIds)) : [],
  ]);
  return { workspace: workspace ?? { id: workspaceId, name: "", postal_address: null }, state, providers, domains, identities };
}

/**
 * The sending setup of a workspace and pool, loaded at most once per SETUP_TTL_MS per isolate: a campaign's
 * batches arrive many a second, and loading it was a batch's largest fixed cost.
 */
export function sendingSetupFor(db: Database, env: Env, workspaceId: string, poolId: string | null, now: Date): Promise<SendingSetup> {
  const key = keyOf(workspaceId, poolId);
  const cached = setups.get(key);
  const age = cached ? now.getTime() - cached.loadedAt : -1;
  if (cached && age >= 0 && age <= SETUP_TTL_MS) return cached.setup;
  const entry: Entry = { loadedAt: now.getTime(), setup: loadSendingSetup(db, env, workspaceId, poolId, now) };
  setups.set(key, entry);
  // A failed load is not kept: the next batch tries again.
  entry.setup.catch(() => {
    if (setups.get(key) === entry) setups.delete(key);
  });
  return entry.setup;
}

/** Forgets a workspace's setups, so the next batch sees a change at once (a provider found unusable). */
export function forgetSendingSetups(workspaceId: string): void {
  setups.deleteWhere((key) => key.startsWith(`${workspaceId}\u0000`));
}
