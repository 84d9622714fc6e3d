import { and, eq, gt, inArray, not, sql } from "drizzle-orm";
import type { Database } from "../../db/client";
import { listImportErrors, listImports } from "../../db/schema";
import { findInWorkspace } from "../../lib/lookups";
import { keysetPage, type Page } from "../../lib/pagination";
import { SKIPPED_REASONS } from "./row-outcomes";

export type ListImport = typeof listImports.$inferSelect;

/** Error rows stored per import; counters keep counting past it and the API says the report is truncated. */
export const MAX_STORED_ERRORS = 10_000;
const MAX_REPORTED_VALUE = 500;

/** Values in the error report are cut to this length, so one absurd cell cannot bloat it. */
export const excerpt = (value: string) => (value.length > MAX_REPORTED_VALUE ? `${value.slice(0, MAX_REPORTED_VALUE - 1)}…` : value);

export async function getImport(db: Database, workspaceId: string, listId: string, importId: string): Promise<ListImport> {
  return findInWorkspace(db, listImports, workspaceId, importId, "Import", eq(listImports.list_id, listId));
}

/** A list's imports, oldest first. */
export async function listImportsOf(
  db: Database,
  workspaceId: string,
  listId: string,
  limit: number,
  cursor?: string,
): Promise<Page<ListImport>> {
  return keysetPage(
    (after) =>
      db
        .select()
        .from(listImports)
        .where(and(eq(listImports.workspace_id, workspaceId), eq(listImports.list_id, listId), after)),
    { key: listImports.id, limit, cursor },
  );
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
  // Rows at 0 and below are the import's internal chunk markers, not report rows.
  return keysetPage(
    (after) =>
      db
        .select({ row_number: listImportErrors.row_number, value: listImportErrors.value, reason: listImportErrors.reason })
        .from(listImportErrors)
        .where(and(eq(listImportErrors.import_id, importId), gt(listImportErrors.row_number, 0), bucket(rows), after)),
    { key: listImportErrors.row_number, limit, cursor, cursorParam: `${rows}_cursor` },
  );
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
