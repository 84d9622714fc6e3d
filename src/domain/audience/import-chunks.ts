import { and, eq, sql } from "drizzle-orm";
import type { Database } from "../../db/client";
import { listImportErrors, listImports } from "../../db/schema";
import { chunk, rowsPerInsert } from "../../lib/chunk";
import { type AttributeValue, typeCell } from "./attribute-values";
import { type RowReport, type SubscriberInput, upsertSubscribers } from "./bulk-upsert";
import { normalizeEmail } from "./emails";
import type { ImportChunkMessage } from "./import-chunk-message";
import { excerpt, type ListImport, MAX_STORED_ERRORS } from "./import-reports";
import { duplicateOf } from "./row-outcomes";

const MAX_NAME_CHARS = 200;
const MAX_ATTRIBUTES_JSON = 16_384;

interface ReportedRow {
  row: number;
  value: string | null;
  reason: string;
}

interface ChunkResult {
  created: number;
  updated: number;
  skipped: ReportedRow[];
  errors: ReportedRow[];
}

/** Values of a `status` column: rows marked as not subscribed are skipped, whatever the subscriber's state. */
const SUBSCRIBED = new Set(["", "active", "subscribed"]);
const NOT_SUBSCRIBED = new Set(["unsubscribed", "bounced", "complained"]);

/** The row's non-empty cells as attributes of their column's type, or the first cell that is not of it. */
function typedAttributes(
  msg: ImportChunkMessage,
  values: readonly string[],
): { attributes: Record<string, AttributeValue> } | { error: Omit<ReportedRow, "row"> } {
  const attributes: Record<string, AttributeValue> = {};
  for (let i = 0; i < values.length; i++) {
    const value = values[i].trim();
    if (value === "") continue;
    const key = msg.attribute_keys[i];
    const type = msg.attribute_types?.[i] ?? "auto";
    const cell = typeCell(value, type);
    if (!cell.ok) return { error: { value, reason: `invalid_${type}: column "${key}" expects ${cell.expected}` } };
    attributes[key] = cell.value;
  }
  return { attributes };
}

/** A chunk is recorded done by this marker in the error table (row numbers of real rows are ≥ 2). */
const markerRow = (chunkNumber: number) => -(chunkNumber + 1);

/** The chunk's import, unless it is gone (deleted with its list) or has this chunk counted already. */
async function importAwaiting(db: Database, msg: ImportChunkMessage): Promise<ListImport | null> {
  const row = await db
    .select({
      import: listImports,
      done: sql<number>`exists (select 1 from ${listImportErrors} where ${listImportErrors.import_id} = ${listImports.id} and ${listImportErrors.row_number} = ${markerRow(msg.chunk)})`,
    })
    .from(listImports)
    .where(and(eq(listImports.id, msg.import_id), eq(listImports.workspace_id, msg.workspace_id)))
    .get();
  return row && !row.done ? row.import : null;
}

/**
 * Imports one chunk: validates each row, dedupes the chunk by address, upserts through upsertSubscribers
 * (which skips suppressed and erased addresses and never changes a status) and records the outcome.
 * Redelivery-safe: see recordChunk.
 */
export async function processImportChunk(db: Database, msg: ImportChunkMessage): Promise<void> {
  const current = await importAwaiting(db, msg);
  if (!current) return;
  if (current.status === "queued") {
    await db
      .update(listImports)
      .set({ status: "processing" })
      .where(and(eq(listImports.id, current.id), eq(listImports.status, "queued")));
  }

  const result: ChunkResult = { created: 0, updated: 0, skipped: [], errors: [...msg.rejected] };
  const firstRowOf = new Map<string, number>();
  const inputs: SubscriberInput[] = [];
  const rowOf: number[] = [];
  for (const [row, rawEmail, rawName, rawStatus, values] of msg.rows) {
    const shown = rawEmail.trim();
    if (shown === "") {
      result.errors.push({ row, value: null, reason: "missing_email" });
      continue;
    }
    const email = normalizeEmail(shown);
    if (!email) {
      result.errors.push({ row, value: shown, reason: "invalid_email" });
      continue;
    }
    const status = rawStatus.trim().toLowerCase();
    if (NOT_SUBSCRIBED.has(status)) {
      result.skipped.push({
        row,
        value: shown,
        reason: `status_${status}: the file marks this address ${status}; an import never subscribes it`,
      });
      continue;
    }
    if (!SUBSCRIBED.has(status)) {
      result.errors.push({ row, value: rawStatus.trim(), reason: "invalid_status: expected active, unsubscribed, bounced or complained" });
      continue;
    }
    const first = firstRowOf.get(email);
    if (first !== undefined) {
      result.skipped.push({ row, value: shown, reason: duplicateOf(first) });
      continue;
    }
    const name = rawName.trim();
    if (name.length > MAX_NAME_CHARS) {
      result.errors.push({ row, value: name, reason: `name_too_long: more than ${MAX_NAME_CHARS} characters` });
      continue;
    }
    const typed = typedAttributes(msg, values);
    if ("error" in typed) {
      result.errors.push({ row, ...typed.error });
      continue;
    }
    const { attributes } = typed;
    if (JSON.stringify(attributes).length > MAX_ATTRIBUTES_JSON) {
      result.errors.push({ row, value: shown, reason: `attributes_too_large: more than ${MAX_ATTRIBUTES_JSON / 1024} KB of attributes` });
      continue;
    }
    firstRowOf.set(email, row);
    inputs.push({ email, name: name === "" ? undefined : name, attributes });
    rowOf.push(row);
  }

  if (inputs.length > 0) {
    const outcome = await upsertSubscribers(db, msg.workspace_id, msg.list_id, inputs);
    result.created = outcome.created;
    result.updated = outcome.updated;
    const reported = (e: RowReport) => ({ row: rowOf[e.index], value: inputs[e.index].email as string, reason: e.reason });
    result.skipped.push(...outcome.skipped_rows.map(reported));
    result.errors.push(...outcome.errors.map(reported));
  }
  await recordChunk(db, msg, current, result);
}

/**
 * The last delivery of a chunk failed: its rows are reported as not imported, so that the import finishes
 * and says which rows to send again, instead of staying `processing` for ever.
 */
export async function failImportChunk(db: Database, msg: ImportChunkMessage, cause: string): Promise<void> {
  const current = await importAwaiting(db, msg);
  if (!current) return;
  const reason = `not_imported: this row's chunk failed ${cause}; send the row again`;
  await recordChunk(db, msg, current, {
    created: 0,
    updated: 0,
    skipped: [],
    errors: [...msg.rejected, ...msg.rows.map(([row, email]) => ({ row, value: email.trim() || null, reason }))],
  });
}

/**
 * Writes a chunk's outcome in one D1 batch (one transaction): the chunk's marker row, the counters as SQL
 * increments, and its error rows. The marker carries a token unique to this attempt and the counters move
 * only if the marker that is now stored carries it, so a redelivered or concurrently duplicated chunk is
 * counted once. Error rows are keyed by (import, row number) and inserted OR IGNORE.
 */
async function recordChunk(db: Database, msg: ImportChunkMessage, current: ListImport, result: ChunkResult) {
  const token = crypto.randomUUID();
  const marker = markerRow(msg.chunk);
  const now = new Date().toISOString();
  const reported = [...result.skipped, ...result.errors].sort((a, b) => a.row - b.row);
  const room = Math.max(0, MAX_STORED_ERRORS - current.skipped_count - current.error_count);
  const stored = reported.slice(0, room).map((r) => ({
    workspace_id: msg.workspace_id,
    import_id: msg.import_id,
    row_number: r.row,
    value: r.value === null ? null : excerpt(r.value),
    reason: r.reason,
  }));
  const processed = result.created + result.updated + result.skipped.length + result.errors.length;
  const complete = sql`${listImports.status} != 'failed' and ${listImports.chunks_total} > 0 and ${listImports.chunks_done} + 1 >= ${listImports.chunks_total}`;
  const ownsMarker = sql`exists (select 1 from ${listImportErrors} where ${listImportErrors.import_id} = ${msg.import_id} and ${listImportErrors.row_number} = ${marker} and ${listImportErrors.value} = ${token})`;

  await db.batch([
    db
      .insert(listImportErrors)
      .values({ workspace_id: msg.workspace_id, import_id: msg.import_id, row_number: marker, value: token, reason: "chunk_done" })
      .onConflictDoNothing(),
    db
      .update(listImports)
      .set({
        processed_rows: sql`${listImports.processed_rows} + ${processed}`,
        created_count: sql`${listImports.created_count} + ${result.created}`,
        updated_count: sql`${listImports.updated_count} + ${result.updated}`,
        skipped_count: sql`${listImports.skipped_count} + ${result.skipped.length}`,
        error_count: sql`${listImports.error_count} + ${result.errors.length}`,
        chunks_done: sql`${listImports.chunks_done} + 1`,
        status: sql`case when ${complete} then 'completed' when ${listImports.status} = 'failed' then 'failed' else 'processing' end`,
        completed_at: sql`case when ${complete} then ${now} else ${listImports.completed_at} end`,
        updated_at: now,
      })
      .where(and(eq(listImports.id, msg.import_id), ownsMarker)),
    ...chunk(stored, rowsPerInsert(5)).map((part) => db.insert(listImportErrors).values(part).onConflictDoNothing()),
  ]);
}
