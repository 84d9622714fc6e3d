import { and, eq } from "drizzle-orm";
import type { Database } from "../../db/client";
import { type DedicatedIp, dedicatedIps } from "../../db/schema";
import { conflict } from "../../lib/errors";
import { newId } from "../../lib/ids";
import { findInWorkspace } from "../../lib/lookups";
import { keysetPage, type Page } from "../../lib/pagination";
import type { DnsResolver } from "../dns/doh-resolver";
import { checkBlocklists, checkPtr } from "./ip-checks";

export interface DedicatedIpInput {
  ip_address: string;
  hostname?: string | null;
}

export async function createDedicatedIp(db: Database, workspaceId: string, input: DedicatedIpInput): Promise<DedicatedIp> {
  const ip = input.ip_address.toLowerCase();
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
  return keysetPage((after) => db.select().from(dedicatedIps).where(and(eq(dedicatedIps.workspace_id, workspaceId), after)), {
    key: dedicatedIps.id,
    limit,
    cursor,
  });
}

/** Statuses the PTR check decides; warming, active and paused belong to warming and the operator. */
const DNS_STATUSES = new Set<DedicatedIp["status"]>(["pending", "verifying", "verified", "failed"]);

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
