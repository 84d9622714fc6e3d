import { and, eq, isNull } from "drizzle-orm";
import type { Database } from "../../db/client";
import { type ApiKey, apiKeys, type Workspace, workspaces } from "../../db/schema";
import { randomBase62, secretsEqual, sha256Hex } from "../../lib/crypto";
import { newId } from "../../lib/ids";
import { findInWorkspace } from "../../lib/lookups";
import { keysetPage, type Page } from "../../lib/pagination";

export const API_KEY_PREFIX = "fc_";
const SECRET_LENGTH = 40;
const DISPLAY_PREFIX_LENGTH = API_KEY_PREFIX.length + 8;
const LAST_USED_RESOLUTION_MS = 60 * 60 * 1000;

export interface IssuedApiKey {
  record: ApiKey;
  /** The full key: returned once at creation and never stored. */
  key: string;
}

export async function issueApiKey(db: Database, workspaceId: string, name: string): Promise<IssuedApiKey> {
  const key = API_KEY_PREFIX + randomBase62(SECRET_LENGTH);
  const [record] = await db
    .insert(apiKeys)
    .values({
      id: newId("key"),
      workspace_id: workspaceId,
      name,
      prefix: key.slice(0, DISPLAY_PREFIX_LENGTH),
      key_hash: await sha256Hex(key),
    })
    .returning();
  return { record, key };
}

/**
 * Resolves a presented key to its live record and workspace. The lookup is by SHA-256 of the key (keys are
 * 238 random bits, so a fast hash is enough); the stored hash is then compared in constant time as well.
 */
export async function authenticateApiKey(db: Database, presented: string): Promise<{ apiKey: ApiKey; workspace: Workspace } | null> {
  if (!presented.startsWith(API_KEY_PREFIX) || presented.length !== API_KEY_PREFIX.length + SECRET_LENGTH) return null;
  const hash = await sha256Hex(presented);
  const row = await db
    .select({ apiKey: apiKeys, workspace: workspaces })
    .from(apiKeys)
    .innerJoin(workspaces, eq(workspaces.id, apiKeys.workspace_id))
    .where(and(eq(apiKeys.key_hash, hash), isNull(apiKeys.revoked_at)))
    .get();
  if (!row || !(await secretsEqual(row.apiKey.key_hash, hash))) return null;
  return row;
}

/** last_used_at is kept to the hour so that authenticating does not cost a D1 write per request. */
export function lastUsedIsStale(apiKey: ApiKey, now: Date): boolean {
  return !apiKey.last_used_at || now.getTime() - Date.parse(apiKey.last_used_at) >= LAST_USED_RESOLUTION_MS;
}

export async function touchApiKey(db: Database, id: string, now: Date): Promise<void> {
  await db.update(apiKeys).set({ last_used_at: now.toISOString() }).where(eq(apiKeys.id, id));
}

/** Newest first: the key just created is the one an operator looks for. */
export async function listApiKeys(db: Database, workspaceId: string, limit: number, cursor?: string): Promise<Page<ApiKey>> {
  return keysetPage(
    (after) =>
      db
        .select()
        .from(apiKeys)
        .where(and(eq(apiKeys.workspace_id, workspaceId), after)),
    {
      key: apiKeys.id,
      order: "desc",
      limit,
      cursor,
    },
  );
}

/** Revocation takes effect on the next request: authentication reads revoked_at every time. */
export async function revokeApiKey(db: Database, workspaceId: string, id: string, now: Date): Promise<ApiKey> {
  const [revoked] = await db
    .update(apiKeys)
    .set({ revoked_at: now.toISOString() })
    .where(and(eq(apiKeys.id, id), eq(apiKeys.workspace_id, workspaceId), isNull(apiKeys.revoked_at)))
    .returning();
  if (revoked) return revoked;
  return findInWorkspace(db, apiKeys, workspaceId, id, "API key");
}
