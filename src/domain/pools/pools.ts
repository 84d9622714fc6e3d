import { and, asc, eq, inArray, ne } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Database } from "../../db/client";
import {
  dedicatedIps,
  type RoutingConfig,
  type SendingPool,
  type SendingPoolMember,
  sendingDomains,
  sendingPoolMembers,
  sendingPools,
} from "../../db/schema";
import { newId } from "../../lib/ids";
import { findInWorkspace } from "../../lib/lookups";
import { keysetPage, type Page } from "../../lib/pagination";
import { conflict, invalidFields } from "../errors";
import { checkPreferredProviders } from "../provider-accounts/providers";
import { assertPoolUnused } from "./usage";

export interface PoolMemberInput {
  domain_id?: string;
  dedicated_ip_id?: string;
  weight?: number;
  priority?: number;
}

export interface PoolInput {
  name: string;
  description?: string | null;
  routing_config: RoutingConfig;
  members: PoolMemberInput[];
  is_default?: boolean;
}

export type PoolWithMembers = SendingPool & { members: SendingPoolMember[] };

/** Every member must name one domain or one IP of this workspace, once: routing trusts the pool's contents. */
async function checkMembers(db: Database, workspaceId: string, members: PoolMemberInput[]) {
  const domainIds = members.flatMap((m) => (m.domain_id ? [m.domain_id] : []));
  const ipIds = members.flatMap((m) => (m.dedicated_ip_id ? [m.dedicated_ip_id] : []));
  const knownDomains = new Set(
    domainIds.length === 0
      ? []
      : (
          await db
            .select({ id: sendingDomains.id })
            .from(sendingDomains)
            .where(and(eq(sendingDomains.workspace_id, workspaceId), inArray(sendingDomains.id, domainIds)))
        ).map((d) => d.id),
  );
  const knownIps = new Set(
    ipIds.length === 0
      ? []
      : (
          await db
            .select({ id: dedicatedIps.id })
            .from(dedicatedIps)
            .where(and(eq(dedicatedIps.workspace_id, workspaceId), inArray(dedicatedIps.id, ipIds)))
        ).map((i) => i.id),
  );
  const seen = new Set<string>();
  const errors = members.flatMap((m, i) => {
    const id = m.domain_id ?? m.dedicated_ip_id ?? "";
    const field = m.domain_id ? "domain_id" : "dedicated_ip_id";
    const known = m.domain_id ? knownDomains.has(m.domain_id) : knownIps.has(id);
    const message = !known
      ? `no ${m.domain_id ? "sending domain" : "dedicated IP"} with this id in the workspace`
      : seen.has(id)
        ? "listed twice"
        : null;
    seen.add(id);
    return message ? [{ location: "body" as const, path: `members.${i}.${field}`, message }] : [];
  });
  if (errors.length > 0) throw invalidFields("some pool members are not valid", errors);
}

export async function createPool(db: Database, workspaceId: string, input: PoolInput): Promise<PoolWithMembers> {
  await assertNameFree(db, workspaceId, input.name);
  await checkMembers(db, workspaceId, input.members);
  await checkPreferredProviders(db, workspaceId, input.routing_config.preferred_providers, "routing_config.preferred_providers");
  const id = newId("pool");
  if (input.is_default) await db.update(sendingPools).set({ is_default: false }).where(eq(sendingPools.workspace_id, workspaceId));
  const [pool] = await db
    .insert(sendingPools)
    .values({
      id,
      workspace_id: workspaceId,
      name: input.name,
      description: input.description ?? null,
      routing_config: input.routing_config,
      is_default: input.is_default ?? false,
    })
    .returning();
  return { ...pool, members: await insertMembers(db, workspaceId, id, input.members) };
}

const insertMembers = async (db: Database, workspaceId: string, poolId: string, members: PoolMemberInput[]) =>
  members.length === 0 ? [] : memberInsert(db, workspaceId, poolId, members).returning();

const memberInsert = (db: Database, workspaceId: string, poolId: string, members: PoolMemberInput[]) =>
  db.insert(sendingPoolMembers).values(
    members.map((m) => ({
      id: newId("pmem"),
      workspace_id: workspaceId,
      pool_id: poolId,
      member_type: m.domain_id ? ("domain" as const) : ("ip" as const),
      domain_id: m.domain_id ?? null,
      dedicated_ip_id: m.dedicated_ip_id ?? null,
      weight: m.weight ?? 1,
      priority: m.priority ?? 100,
    })),
  );

async function assertNameFree(db: Database, workspaceId: string, name: string, exceptId?: string) {
  const taken = await db
    .select({ id: sendingPools.id })
    .from(sendingPools)
    .where(
      and(eq(sendingPools.workspace_id, workspaceId), eq(sendingPools.name, name), exceptId ? ne(sendingPools.id, exceptId) : undefined),
    )
    .get();
  if (taken) throw conflict(`a pool named ${name} already exists`);
}

/** `members`, when given, replaces the whole list: a pool's contents are read as one set by routing. */
export async function updatePool(db: Database, workspaceId: string, id: string, changes: Partial<PoolInput>): Promise<PoolWithMembers> {
  const current = await getPool(db, workspaceId, id);
  if (changes.name !== undefined && changes.name !== current.name) await assertNameFree(db, workspaceId, changes.name, id);
  if (changes.members !== undefined) await checkMembers(db, workspaceId, changes.members);
  if (changes.routing_config !== undefined) {
    await checkPreferredProviders(db, workspaceId, changes.routing_config.preferred_providers, "routing_config.preferred_providers");
  }
  const set: Partial<typeof sendingPools.$inferInsert> = {};
  if (changes.name !== undefined) set.name = changes.name;
  if (changes.description !== undefined) set.description = changes.description;
  if (changes.routing_config !== undefined) set.routing_config = changes.routing_config;
  if (changes.is_default !== undefined) set.is_default = changes.is_default;
  // A new member list is a change of the pool: it moves updated_at, and lands with the rest or not at all.
  if (changes.members !== undefined) set.updated_at = new Date().toISOString();
  const statements: BatchItem<"sqlite">[] = [];
  if (changes.is_default) {
    statements.push(
      db
        .update(sendingPools)
        .set({ is_default: false })
        .where(and(eq(sendingPools.workspace_id, workspaceId), ne(sendingPools.id, id))),
    );
  }
  if (Object.keys(set).length > 0) statements.push(db.update(sendingPools).set(set).where(eq(sendingPools.id, id)));
  if (changes.members !== undefined) {
    statements.push(db.delete(sendingPoolMembers).where(eq(sendingPoolMembers.pool_id, id)));
    if (changes.members.length > 0) statements.push(memberInsert(db, workspaceId, id, changes.members));
  }
  const [first, ...rest] = statements;
  if (first) await db.batch([first, ...rest]);
  return getPool(db, workspaceId, id);
}

/** Refused while a campaign that may still send routes through the pool; its members' domains and IPs stay. */
export async function deletePool(db: Database, workspaceId: string, id: string): Promise<void> {
  const pool = await getPool(db, workspaceId, id);
  await assertPoolUnused(db, workspaceId, id, `Sending pool ${pool.name}`);
  await db.batch([
    db.delete(sendingPoolMembers).where(eq(sendingPoolMembers.pool_id, id)),
    db.delete(sendingPools).where(eq(sendingPools.id, id)),
  ]);
}

const membersOf = (db: Database, poolIds: string[]) =>
  poolIds.length === 0
    ? Promise.resolve([])
    : db.select().from(sendingPoolMembers).where(inArray(sendingPoolMembers.pool_id, poolIds)).orderBy(asc(sendingPoolMembers.id));

export async function getPool(db: Database, workspaceId: string, id: string): Promise<PoolWithMembers> {
  const pool = await findInWorkspace(db, sendingPools, workspaceId, id, "Sending pool");
  return { ...pool, members: await membersOf(db, [id]) };
}

export async function listPools(db: Database, workspaceId: string, limit: number, cursor?: string): Promise<Page<PoolWithMembers>> {
  const page = await keysetPage(
    (after) =>
      db
        .select()
        .from(sendingPools)
        .where(and(eq(sendingPools.workspace_id, workspaceId), after)),
    { key: sendingPools.id, limit, cursor },
  );
  const members = await membersOf(
    db,
    page.data.map((p) => p.id),
  );
  return { ...page, data: page.data.map((p) => ({ ...p, members: members.filter((m) => m.pool_id === p.id) })) };
}
