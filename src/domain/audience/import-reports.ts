import { and, asc, count, eq, gt } from "drizzle-orm";
import type { Database } from "../../db/client";
import { listImportErrors, listImports } from "../../db/schema";
import { invalidField, notFound } from "../../lib/errors";
import { decodeCursor, type Page, toPage } from "../../lib/pagination";

export type ListImport = typeof listImports.$inferSelect;

/** Error rows stored per import; counters keep counting past it and the API says the report is truncated. */
export const MAX_STORED_ERRORS = 10_000;
const MAX_REPORTED_VALUE = 500;

/** Values in the error report are cut to this length, so one absurd cell cannot bloat it. */
export const excerpt = (value: string) => (value.length > MAX_REPORTED_VALUE ? `${value.slice(0, MAX_REPORTED_VALUE - 1)}…` : value);

export async function getImport(db: Database, workspaceId: string, listId: string, importId: string): Promise<ListImport> {
  const row = await db
    .select()
    .from(listImports)
    .where(and(eq(listImports.workspace_id, workspaceId), eq(listImports.list_id, listId), eq(listImports.id, importId)))
    .get();
  if (!row) throw notFound("Import");
  return row;
}

export interface ImportErrorRow {
  row_number: number;
  value: string | null;
  reason: string;
}

/** A page of the error report, by row number. */
export async function importErrors(db: Database, importId: string, limit: number, cursor?: string): Promise<Page<ImportErrorRow>> {
  const key = decodeCursor(cursor);
  const after = key === undefined ? 0 : Number(key);
  if (!Number.isSafeInteger(after)) throw invalidField("query", "errors_cursor", "cursor is not one this API issued");
  const rows = await db
    .select({ row_number: listImportErrors.row_number, value: listImportErrors.value, reason: listImportErrors.reason })
    .from(listImportErrors)
    .where(and(eq(listImportErrors.import_id, importId), gt(listImportErrors.row_number, Math.max(0, after))))
    .orderBy(asc(listImportErrors.row_number))
    .limit(limit + 1);
  return toPage(rows, limit, (r) => String(r.row_number));
}

/** Error rows stored for the import; fewer than its skipped + error counts means the report was capped. */
export async function storedErrorCount(db: Database, importId: string): Promise<number> {
  const [{ n }] = await db
    .select({ n: count() })
    .from(listImportErrors)
    .where(and(eq(listImportErrors.import_id, importId), gt(listImportErrors.row_number, 0)));
  return n;
}
