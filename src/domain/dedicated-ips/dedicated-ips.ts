import { and, eq } from "drizzle-orm";
import type { Database } from "../../db/client";
import { type DedicatedIp, dedicatedIps, warmingProgress } from "../../db/schema";
import { newId } from "../../lib/ids";
import { findInWorkspace } from "../../lib/lookups";
import { keysetPage, type Page } from "../../lib/pagination";
import type { DnsResolver } from "../dns/doh-resolver";
import { conflict } from "../errors";
import { assertIpUnused } from "../pools/usage";
import { checkBlocklists, checkPtr, parseIp } from "./ip-checks";

export interface DedicatedIpInput {
  ip_address: string;
  hostname?: string | null;
}

export async function createDedicatedIp(db: Database, workspaceId: string, input: DedicatedIpInput): Promise<DedicatedIp> {
  const ip = parseIp(input.ip_address)?.presentation ?? input.ip_address.toLowerCase();
  const taken = await db
    .select({ id: dedicatedIps.id })
    .from(dedicatedIps)
    .where(and(eq(dedicatedIps.workspace_id, workspaceId), eq(dedicatedIps.ip_address, ip)))
    .get();
  if (taken) throw conflict(`${ip} is already a dedicated IP of this workspace`);
  const [created] = await db
    .insert(dedicatedIps)
    .values({ id: newId("dip"), workspace_id: workspaceId, ip_address: ip, hostname: input.hostname?.toLowerCase() ?? null })
    .returning();
  return created;
}

export async function getDedicatedIp(db: Database, workspaceId: string, id: string): Promise<DedicatedIp> {
  return findInWorkspace(db, dedicatedIps, workspaceId, id, "Dedicated IP");
}

export async function listDedicatedIps(db: Database, workspaceId: string, limit: number, cursor?: string): Promise<Page<DedicatedIp>> {
  return keysetPage(
    (after) =>
      db
        .select()
        .from(dedicatedIps)
        .where(and(eq(dedicatedIps.workspace_id, workspaceId), after)),
    {
      key: dedicatedIps.id,
      limit,
      cursor,
    },
  );
}

/** Statuses the PTR check decides; warming, active and paused belong to warming and the operator. */
const DNS_STATUSES = new Set<DedicatedIp["status"]>(["pending", "verifying", "verified", "failed"]);

/**
 * The address is the IP itself and stays. A new hostname voids the PTR check, which compared against the old
 * one: an IP not yet sending goes back to pending until it is checked again.
 */
export async function updateDedicatedIp(
  db: Database,
  workspaceId: string,
  id: string,
  changes: { hostname?: string | null },
): Promise<DedicatedIp> {
  const current = await getDedicatedIp(db, workspaceId, id);
  if (changes.hostname === undefined) return current;
  const hostname = changes.hostname?.toLowerCase() ?? null;
  if (hostname === current.hostname) return current;
  const [updated] = await db
    .update(dedicatedIps)
    .set({ hostname, ptr_verified: false, status: DNS_STATUSES.has(current.status) ? "pending" : current.status })
    .where(eq(dedicatedIps.id, id))
    .returning();
  return updated;
}

/** Removes the IP and its warming history; refused while a pool sends through it. */
export async function deleteDedicatedIp(db: Database, workspaceId: string, id: string): Promise<void> {
  const ip = await getDedicatedIp(db, workspaceId, id);
  await assertIpUnused(db, workspaceId, id, `Dedicated IP ${ip.ip_address}`);
  await db.batch([
    db.delete(warmingProgress).where(and(eq(warmingProgress.target_type, "ip"), eq(warmingProgress.target_id, id))),
    db.delete(dedicatedIps).where(eq(dedicatedIps.id, id)),
  ]);
}

/**
 * Verifies the IP's reverse DNS (PTR naming its hostname, which resolves back to it: receivers reject mail
 * from IPs without it) and looks it up in the configured DNS blocklists.
 */
export async function checkDedicatedIp(db: Database, resolver: DnsResolver, zones: string[], workspaceId: string, id: string, now: Date) {
  const ip = await getDedicatedIp(db, workspaceId, id);
  const [ptr, blocklists] = await Promise.all([
    checkPtr(resolver, ip.ip_address, ip.hostname),
    checkBlocklists(resolver, ip.ip_address, zones, now),
  ]);
  const [updated] = await db
    .update(dedicatedIps)
    .set({
      ptr_verified: ptr.verified,
      blacklist_status: blocklists,
      last_check_at: now.toISOString(),
      status: DNS_STATUSES.has(ip.status) ? (ptr.verified ? "verified" : "failed") : ip.status,
    })
    .where(eq(dedicatedIps.id, id))
    .returning();
  return { ip: updated, ptr };
}
