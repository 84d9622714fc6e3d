import { env } from "cloudflare:workers";
import { createDb } from "../../src/db/client";
import { dedicatedIps, sendingDomains } from "../../src/db/schema";
import type { WarmingTarget } from "../../src/domain/warming/warming";
import { newId } from "../../src/lib/ids";

const record = { type: "TXT" as const, name: "x", value: "y" };

/** A sending domain row as verification leaves it, written straight to D1 for tests that start from there. */
export function domainRow(workspaceId: string, overrides: Partial<typeof sendingDomains.$inferInsert> = {}) {
  const id = newId("dom");
  return {
    id,
    workspace_id: workspaceId,
    domain: `${id.toLowerCase()}.example.com`,
    status: "verified" as const,
    dns_records: { spf: record, dkim: record, dmarc: record, return_path: record },
    dkim_selector: "fc1",
    dkim_public_key: "public",
    dkim_private_key: "sealed",
    ...overrides,
  };
}

export async function insertDomain(workspaceId: string, status: "verified" | "pending" | "active" = "verified"): Promise<WarmingTarget> {
  const row = domainRow(workspaceId, { status });
  await createDb(env.DB).insert(sendingDomains).values(row);
  return { workspace_id: workspaceId, type: "domain", id: row.id };
}

let ips = 0;

export async function insertIp(workspaceId: string): Promise<WarmingTarget> {
  const id = newId("dip");
  ips += 1;
  await createDb(env.DB)
    .insert(dedicatedIps)
    .values({ id, workspace_id: workspaceId, ip_address: `2001:db8::${ips}`, status: "verified" });
  return { workspace_id: workspaceId, type: "ip", id };
}
