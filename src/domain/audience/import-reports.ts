import { and, asc, eq, gt, inArray, not, sql } from "drizzle-orm";
import type { Database } from "../../db/client";
import { listImportErrors, listImports } from "../../db/schema";
import { invalidField, notFound } from "../../lib/errors";
import { decodeCursor, type Page, toPage } from "../../lib/pagination";
import { SKIPPED_REASONS } from "./row-outcomes";

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

/** A list's imports, oldest first. */
export async function listImportsOf(db: Database, workspaceId: string, listId: string, limit: number, cursor?: string): Promise<Page<ListImport>> {
  const after = decodeCursor(cursor);
  const rows = await db
    .select()
    .from(listImports)
    .where(and(eq(listImports.workspace_id, workspaceId), eq(listImports.list_id, listId), after ? gt(listImports.id, after) : undefined))
    .orderBy(asc(listImports.id))
    .limit(limit + 1);
  return toPage(rows, limit, (r) => r.id);
}

export interface ImportErrorRow {
  row_number: number;
  value: string | null;
  reason: string;
}

export type ReportedRows = "errors" | "skipped";

/** The code of a stored reason (the text before its first colon) names the row's bucket: see row-outcomes. */
const reasonCode = sql`case when instr(${listImportErrors.reason}, ':') > 0 then substr(${listImportErrors.reason}, 1, instr(${listImportErrors.reason}, ':') - 1) else ${listImportErrors.reason} end`;
const skipped = inArray(reasonCode, [...SKIPPED_REASONS]);
const bucket = (rows: ReportedRows) => (rows === "skipped" ? skipped : not(skipped));

/** A page of the invalid or of the skipped rows of the report, by row number. */
export async function reportedRows(
  db: Database,
  importId: string,
  rows: ReportedRows,
  limit: number,
  cursor?: string,
): Promise<Page<ImportErrorRow>> {
  const key = decodeCursor(cursor);
  const after = key === undefined ? 0 : Number(key);
  if (!Number.isSafeInteger(after)) throw invalidField("query", `${rows}_cursor`, "cursor is not one this API issued");
  const page = await db
    .select({ row_number: listImportErrors.row_number, value: listImportErrors.value, reason: listImportErrors.reason })
    .from(listImportErrors)
    .where(and(eq(listImportErrors.import_id, importId), gt(listImportErrors.row_number, Math.max(0, after)), bucket(rows)))
    .orderBy(asc(listImportErrors.row_number))
    .limit(limit + 1);
  return toPage(page, limit, (r) => String(r.row_number));
}

/** Rows stored in each part of the report; fewer than the import's count means that part was capped. */
export async function storedReportCounts(db: Database, importId: string): Promise<Record<ReportedRows, number>> {
  const [counts] = await db
    .select({
      errors: sql<number>`coalesce(sum(case when ${skipped} then 0 else 1 end), 0)`,
      skipped: sql<number>`coalesce(sum(case when ${skipped} then 1 else 0 end), 0)`,
    })
    .from(listImportErrors)
    .where(and(eq(listImportErrors.import_id, importId), gt(listImportErrors.row_number, 0)));
  return counts;
}
