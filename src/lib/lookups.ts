import { and, eq, type SQL } from "drizzle-orm";
import type { SQLiteColumn, SQLiteTable } from "drizzle-orm/sqlite-core";
import type { Database } from "../db/client";
import { notFound } from "../domain/errors";

type WorkspaceOwned = SQLiteTable & { id: SQLiteColumn; workspace_id: SQLiteColumn };

/**
 * The row with this id in this workspace, or a 404 naming `what`: another workspace's id is as unknown as a
 * made-up one. `also` narrows further, e.g. to the parent a nested path names.
 */
export async function findInWorkspace<T extends WorkspaceOwned>(
  db: Database,
  table: T,
  workspaceId: string,
  id: string,
  what: string,
  also?: SQL,
): Promise<T["$inferSelect"]> {
  const row = await db
    .select()
    .from(table as SQLiteTable)
    .where(and(eq(table.workspace_id, workspaceId), eq(table.id, id), also))
    .get();
  if (!row) throw notFound(what);
  return row as T["$inferSelect"];
}
