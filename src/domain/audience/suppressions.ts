import { and, eq, or, sql } from "drizzle-orm";
import type { Database } from "../../db/client";
import { type Suppression, suppressions } from "../../db/schema";
import { sha256Hex } from "../../lib/crypto";
import { newId } from "../../lib/ids";
import { findInWorkspace } from "../../lib/lookups";
import { keysetPage, type Page } from "../../lib/pagination";
import { conflict } from "../errors";
import { domainOf } from "./emails";

/** Erased addresses are kept only as this hash, so a later import cannot bring them back. */
export const emailHash = (email: string) => sha256Hex(`flarecast-erased:${email.toLowerCase()}`);

export interface NewSuppression {
  email?: string;
  domain?: string;
  reason: Suppression["reason"];
  note?: string | null;
  source_campaign_id?: string | null;
}

export async function addSuppression(db: Database, workspaceId: string, input: NewSuppression): Promise<Suppression> {
  const [created] = await db
    .insert(suppressions)
    .values({
      id: newId("sup"),
      workspace_id: workspaceId,
      email: input.email ?? null,
      domain: input.domain ?? null,
      email_hash: input.email ? await emailHash(input.email) : null,
      reason: input.reason,
      note: input.note ?? null,
      source_campaign_id: input.source_campaign_id ?? null,
    })
    .onConflictDoNothing()
    .returning();
  if (!created) throw conflict(`${input.email ?? input.domain} is already suppressed`);
  return created;
}

export async function listSuppressions(db: Database, workspaceId: string, limit: number, cursor?: string): Promise<Page<Suppression>> {
  return keysetPage(
    (after) =>
      db
        .select()
        .from(suppressions)
        .where(and(eq(suppressions.workspace_id, workspaceId), after)),
    {
      key: suppressions.id,
      order: "desc",
      limit,
      cursor,
    },
  );
}

/** Erasure suppressions protect a deleted person; they cannot be lifted through the API. */
export async function removeSuppression(db: Database, workspaceId: string, id: string): Promise<void> {
  const row = await findInWorkspace(db, suppressions, workspaceId, id, "Suppression");
  if (row.reason === "erased") throw conflict("An erased address stays suppressed");
  await db.delete(suppressions).where(eq(suppressions.id, id));
}

/** For each address, the suppression that blocks it in this workspace (by address, domain or erasure hash). */
export async function suppressionsFor(db: Database, workspaceId: string, emails: readonly string[]): Promise<Map<string, Suppression>> {
  const found = new Map<string, Suppression>();
  if (emails.length === 0) return found;
  const hashes = new Map(await Promise.all(emails.map(async (e) => [await emailHash(e), e] as const)));
  const domains = [...new Set(emails.map(domainOf))];
  const rows = await db
    .select()
    .from(suppressions)
    .where(
      and(
        eq(suppressions.workspace_id, workspaceId),
        or(
          sql`${suppressions.email} in (select value from json_each(${JSON.stringify(emails)}))`,
          sql`${suppressions.email_hash} in (select value from json_each(${JSON.stringify([...hashes.keys()])}))`,
          sql`${suppressions.domain} in (select value from json_each(${JSON.stringify(domains)}))`,
        ),
      ),
    );
  for (const row of rows) {
    for (const email of emails) {
      const hit =
        row.email === email || (row.email_hash !== null && hashes.get(row.email_hash) === email) || row.domain === domainOf(email);
      if (hit && !found.has(email)) found.set(email, row);
    }
  }
  return found;
}
