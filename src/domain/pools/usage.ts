import { and, eq, exists, inArray, or, type SQL, sql } from "drizzle-orm";
import type { Database } from "../../db/client";
import { campaignRecipients, emailCampaigns, sendingIdentities, sendingPoolMembers, sendingPools } from "../../db/schema";
import { conflict } from "../errors";

/**
 * Campaigns that may still send: they read their pool and identity when they do. A sent or cancelled campaign
 * keeps the ids it used as history, and does not hold anything back.
 */
const UNFINISHED = ["draft", "scheduled", "sending", "paused"] as const;

async function unfinishedCampaignsWhere(db: Database, workspaceId: string, where: SQL | undefined): Promise<string[]> {
  const rows = await db
    .select({ id: emailCampaigns.id })
    .from(emailCampaigns)
    .where(and(eq(emailCampaigns.workspace_id, workspaceId), inArray(emailCampaigns.status, [...UNFINISHED]), where))
    .limit(5);
  return rows.map((r) => r.id);
}

const refuseIfUsed = (what: string, by: string, ids: string[]) => {
  if (ids.length > 0) throw conflict(`${what} is used by ${by} ${ids.join(", ")}${ids.length === 5 ? " and maybe more" : ""}`);
};

export async function assertPoolUnused(db: Database, workspaceId: string, poolId: string, what: string): Promise<void> {
  refuseIfUsed(what, "campaigns", await unfinishedCampaignsWhere(db, workspaceId, eq(emailCampaigns.sending_pool_id, poolId)));
}

export async function assertIdentityUnused(db: Database, workspaceId: string, identityId: string, what: string): Promise<void> {
  refuseIfUsed(what, "campaigns", await unfinishedCampaignsWhere(db, workspaceId, eq(emailCampaigns.sending_identity_id, identityId)));
}

async function poolsListing(db: Database, workspaceId: string, member: SQL): Promise<string[]> {
  const rows = await db
    .selectDistinct({ id: sendingPoolMembers.pool_id })
    .from(sendingPoolMembers)
    .where(and(eq(sendingPoolMembers.workspace_id, workspaceId), member))
    .limit(5);
  return rows.map((r) => r.id);
}

/** A domain is used by a pool that lists it, and by a campaign that sends from one of its identities or has routed through it. */
export async function assertDomainUnused(db: Database, workspaceId: string, domainId: string, what: string): Promise<void> {
  refuseIfUsed(what, "pools", await poolsListing(db, workspaceId, eq(sendingPoolMembers.domain_id, domainId)));
  const identityIds = db.select({ id: sendingIdentities.id }).from(sendingIdentities).where(eq(sendingIdentities.domain_id, domainId));
  const routedThrough = db
    .select({ id: campaignRecipients.id })
    .from(campaignRecipients)
    .where(and(eq(campaignRecipients.campaign_id, emailCampaigns.id), eq(campaignRecipients.sending_domain_id, domainId)));
  refuseIfUsed(
    what,
    "campaigns",
    await unfinishedCampaignsWhere(db, workspaceId, or(inArray(emailCampaigns.sending_identity_id, identityIds), exists(routedThrough))),
  );
}

export async function assertIpUnused(db: Database, workspaceId: string, ipId: string, what: string): Promise<void> {
  refuseIfUsed(what, "pools", await poolsListing(db, workspaceId, eq(sendingPoolMembers.dedicated_ip_id, ipId)));
}

const prefers = (routingConfig: typeof sendingPools.routing_config | typeof emailCampaigns.routing_config, providerId: string) =>
  sql`exists (select 1 from json_each(${routingConfig}, '$.preferred_providers') where value = ${providerId})`;

/** A provider is used by a pool or a campaign whose routing prefers it by id: without it, that preference would point at nothing. */
export async function assertProviderUnused(db: Database, workspaceId: string, providerId: string, what: string): Promise<void> {
  const pools = await db
    .select({ id: sendingPools.id })
    .from(sendingPools)
    .where(and(eq(sendingPools.workspace_id, workspaceId), prefers(sendingPools.routing_config, providerId)))
    .limit(5);
  refuseIfUsed(
    what,
    "pools",
    pools.map((p) => p.id),
  );
  refuseIfUsed(what, "campaigns", await unfinishedCampaignsWhere(db, workspaceId, prefers(emailCampaigns.routing_config, providerId)));
}
