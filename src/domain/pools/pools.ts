import { and, asc, eq, inArray } from "drizzle-orm";
import type { Database } from "../../db/client";
import { dedicatedIps, type RoutingConfig, sendingDomains, type SendingPool, type SendingPoolMember, sendingPoolMembers, sendingPools } from "../../db/schema";
import { ApiError, conflict } from "../../lib/errors";
import { newId } from "../../lib/ids";
import { findInWorkspace } from "../../lib/lookups";
import { keysetPage, type Page } from "../../lib/pagination";

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
    const message = !known ? `no ${m.domain_id ? "sending domain" : "dedicated IP"} with this id in the workspace` : seen.has(id) ? "listed twice" : null;
    seen.add(id);
    return message ? [{ location: "body" as const, path: `members.${i}.${field}`, message }] : [];
  });
  if (errors.length > 0) throw new ApiError("validation_failed", "some pool members are not valid", errors);
}

export async function createPool(db: Database, workspaceId: string, input: PoolInput): Promise<PoolWithMembers> {
  const taken = await db
    .select({ id: sendingPools.id })
    .from(sendingPools)
    .where(and(eq(sendingPools.workspace_id, workspaceId), eq(sendingPools.name, input.name)))
    .get();
  if (taken) throw conflict(`a pool named ${input.name} already exists`);
  await checkMembers(db, workspaceId, input.members);
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
  const members =
    input.members.length === 0
      ? []
      : await db
          .insert(sendingPoolMembers)
          .values(
            input.members.map((m) => ({
              id: newId("pmem"),
              workspace_id: workspaceId,
              pool_id: id,
              member_type: m.domain_id ? ("domain" as const) : ("ip" as const),
              domain_id: m.domain_id ?? null,
              dedicated_ip_id: m.dedicated_ip_id ?? null,
              weight: m.weight ?? 1,
              priority: m.priority ?? 100,
            })),
          )
          .returning();
  return { ...pool, members };
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
    (after) => db.select().from(sendingPools).where(and(eq(sendingPools.workspace_id, workspaceId), after)),
    { key: sendingPools.id, limit, cursor },
  );
  const members = await membersOf(db, page.data.map((p) => p.id));
  return { ...page, data: page.data.map((p) => ({ ...p, members: members.filter((m) => m.pool_id === p.id) })) };
}
