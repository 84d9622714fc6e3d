import { and, asc, count, eq, gt, sql } from "drizzle-orm";
import Papa from "papaparse";
import type { ImportChunkMessage } from "../../../queues/messages";
import type { Database } from "../../db/client";
import { listImportErrors, listImports, listMemberships, subscribers } from "../../db/schema";
import { chunk, rowsPerInsert } from "../../lib/chunk";
import { ApiError, invalidField, notFound } from "../../lib/errors";
import { newId } from "../../lib/ids";
import { decodeCursor, type Page, toPage } from "../../lib/pagination";
import { type CsvRecord, CsvRecordReader, isBlankRecord, toCsvLine, Utf8Validator } from "./csv";
import { normalizeEmail } from "./emails";
import { type SubscriberInput, upsertSubscribers } from "./subscribers";

export type ListImport = typeof listImports.$inferSelect;

/** Rows per queue message; one message is one upsertSubscribers call in the consumer. */
export const IMPORT_CHUNK_ROWS = 500;
/** JSON bytes of a message's rows; with the envelope and the attribute keys it stays under the 128 KB limit. */
export const IMPORT_CHUNK_BYTES = 100_000;
/** A sendBatch may carry 256 KB in all; messages are grouped up to this many bytes. */
const SEND_BATCH_BYTES = 200_000;
/** The longest row the reader holds in memory; a longer one is nearly always an unterminated quote. */
export const MAX_ROW_CHARS = 64 * 1024;
/** Error rows stored per import; counters keep counting past it and the API says the report is truncated. */
export const MAX_STORED_ERRORS = 10_000;
export const MAX_COLUMNS = 200;
const MAX_HEADER_BYTES = 16_384;
const MAX_KEY_CHARS = 100;
const MAX_NAME_CHARS = 200;
const MAX_ATTRIBUTES_JSON = 16_384;
const MAX_REPORTED_VALUE = 500;

/** Export prefixes attribute keys that collide with its own columns; import takes the prefix off again. */
const ATTRIBUTE_PREFIX = "attributes.";

const utf8Length = (s: string) => {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    n += c < 0x80 ? 1 : c < 0x800 ? 2 : c >= 0xd800 && c <= 0xdbff ? (i++, 4) : 3;
  }
  return n;
};

const excerpt = (value: string) => (value.length > MAX_REPORTED_VALUE ? `${value.slice(0, MAX_REPORTED_VALUE - 1)}…` : value);


export interface ImportColumns {
  /** The header names as written in the file. */
  email: string;
  name: string | null;
  status: string | null;
  attributes: string[];
}

interface HeaderMap {
  columns: ImportColumns;
  email: number;
  name: number | null;
  status: number | null;
  /** Column index of each attribute, in the order of `attribute_keys` in the messages. */
  attributeIndexes: number[];
  attributeKeys: string[];
  /** Columns without a name: a value in one of them (or beyond the last column) rejects its row. */
  unnamed: Set<number>;
  width: number;
}

function mapHeader(fields: string[]): HeaderMap {
  if (fields.length > MAX_COLUMNS) throw invalidField("body", "", `The CSV has ${fields.length} columns; at most ${MAX_COLUMNS} are supported`);
  const map: HeaderMap = {
    columns: { email: "", name: null, status: null, attributes: [] },
    email: -1,
    name: null,
    status: null,
    attributeIndexes: [],
    attributeKeys: [],
    unnamed: new Set(),
    width: fields.length,
  };
  const seen = new Set<string>();
  fields.forEach((raw, index) => {
    const name = raw.trim();
    if (name === "") {
      map.unnamed.add(index);
      return;
    }
    const lower = name.toLowerCase();
    const key = lower.startsWith(ATTRIBUTE_PREFIX) && name.length > ATTRIBUTE_PREFIX.length ? name.slice(ATTRIBUTE_PREFIX.length) : name;
    const identity = key === name ? lower : `${ATTRIBUTE_PREFIX}${key}`;
    if (seen.has(identity)) throw invalidField("body", name, `The column "${name}" appears more than once in the header row`);
    seen.add(identity);
    if (key === name && lower === "email") {
      map.email = index;
      map.columns.email = name;
    } else if (key === name && lower === "name") {
      map.name = index;
      map.columns.name = name;
    } else if (key === name && lower === "status") {
      map.status = index;
      map.columns.status = name;
    } else {
      if (key.length > MAX_KEY_CHARS) throw invalidField("body", name, `The column name "${excerpt(name)}" is longer than ${MAX_KEY_CHARS} characters`);
      map.attributeIndexes.push(index);
      map.attributeKeys.push(key);
      map.columns.attributes.push(name);
    }
  });
  if (map.email < 0) {
    const shown = fields.map((f) => f.trim()).filter(Boolean).slice(0, 10).join(", ");
    throw invalidField("body", "email", `The CSV has no "email" column; its header row is: ${excerpt(shown) || "(empty)"}`);
  }
  if (utf8Length(JSON.stringify(map.attributeKeys)) > MAX_HEADER_BYTES) {
    throw invalidField("body", "", `The header row's column names add up to more than ${MAX_HEADER_BYTES} bytes`);
  }
  return map;
}


export interface ImportQueue {
  sendBatch(messages: Iterable<MessageSendRequest<ImportChunkMessage>>): Promise<unknown>;
}

export interface StartedImport {
  import: ListImport;
  columns: ImportColumns;
}

type Rejected = ImportChunkMessage["rejected"][number];
type ChunkRow = ImportChunkMessage["rows"][number];

/** Assembles chunks, creates the import row before the first is sent, and sends them in batches. */
class ChunkSender {
  importRow: ListImport | null = null;
  chunks = 0;
  totalRows = 0;
  private rows: ChunkRow[] = [];
  private rejected: Rejected[] = [];
  private bytes = 0;
  private pending: MessageSendRequest<ImportChunkMessage>[] = [];
  private pendingBytes = 0;

  constructor(
    private readonly db: Database,
    private readonly queue: ImportQueue,
    private readonly workspaceId: string,
    private readonly listId: string,
    private readonly attributeKeys: string[],
  ) {}

  async addRow(row: ChunkRow, bytes: number) {
    if (this.rows.length + this.rejected.length >= IMPORT_CHUNK_ROWS || this.bytes + bytes > IMPORT_CHUNK_BYTES) await this.closeChunk();
    this.rows.push(row);
    this.bytes += bytes;
    this.totalRows++;
  }

  async reject(entry: Rejected) {
    const value = entry.value === null ? null : excerpt(entry.value);
    const bytes = utf8Length(JSON.stringify({ ...entry, value })) + 1;
    if (this.rows.length + this.rejected.length >= IMPORT_CHUNK_ROWS || this.bytes + bytes > IMPORT_CHUNK_BYTES) await this.closeChunk();
    this.rejected.push({ ...entry, value });
    this.bytes += bytes;
    this.totalRows++;
  }

  private async closeChunk() {
    if (this.rows.length === 0 && this.rejected.length === 0) return;
    const body: ImportChunkMessage = {
      kind: "import_chunk",
      workspace_id: this.workspaceId,
      import_id: "",
      list_id: this.listId,
      chunk: this.chunks++,
      attribute_keys: this.attributeKeys,
      rows: this.rows,
      rejected: this.rejected,
    };
    this.rows = [];
    this.rejected = [];
    const bytes = this.bytes + 1024 + utf8Length(JSON.stringify(this.attributeKeys));
    this.bytes = 0;
    if (this.pendingBytes + bytes > SEND_BATCH_BYTES || this.pending.length >= 100) await this.sendPending();
    body.import_id = (await this.ensureImport()).id;
    this.pending.push({ body, contentType: "json" });
    this.pendingBytes += bytes;
  }

  private async sendPending() {
    if (this.pending.length === 0) return;
    const messages = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    await this.queue.sendBatch(messages);
  }

  async ensureImport(): Promise<ListImport> {
    if (!this.importRow) {
      const [created] = await this.db
        .insert(listImports)
        .values({ id: newId("imp"), workspace_id: this.workspaceId, list_id: this.listId, status: "queued" })
        .returning();
      this.importRow = created;
    }
    return this.importRow;
  }

  /** Sends what is left, then records the totals; the last chunk to finish (or this) completes the import. */
  async finish(): Promise<ListImport> {
    await this.closeChunk();
    await this.sendPending();
    const row = await this.ensureImport();
    const done = sql`${listImports.status} != 'failed' and ${listImports.chunks_done} >= ${this.chunks}`;
    const [updated] = await this.db
      .update(listImports)
      .set({
        total_rows: this.totalRows,
        chunks_total: this.chunks,
        status: sql`case when ${done} then 'completed' else ${listImports.status} end`,
        completed_at: sql`case when ${done} then ${new Date().toISOString()} else ${listImports.completed_at} end`,
      })
      .where(eq(listImports.id, row.id))
      .returning();
    return updated;
  }
}

type Failure = "not_utf8" | "upload_interrupted";

/**
 * Decodes the upload chunk by chunk. Bytes are validated first, so that at a bad byte the text before it is
 * still read (and its rows imported) and the report can name the line where the file stops being UTF-8.
 */
class BodyText {
  private readonly bytes: ReadableStreamDefaultReader<Uint8Array>;
  private readonly decoder = new TextDecoder("utf-8");
  private readonly utf8 = new Utf8Validator();

  constructor(body: ReadableStream<Uint8Array>) {
    this.bytes = body.getReader();
  }

  async next(): Promise<{ text: string; done: boolean; failure?: Failure }> {
    let chunk: ReadableStreamReadResult<Uint8Array>;
    try {
      chunk = await this.bytes.read();
    } catch {
      return { text: "", done: true, failure: "upload_interrupted" };
    }
    if (chunk.done) return this.utf8.incomplete ? { text: "", done: true, failure: "not_utf8" } : { text: this.decoder.decode(), done: true };
    const bad = this.utf8.check(chunk.value);
    if (bad >= 0) return { text: this.decoder.decode(chunk.value.subarray(0, bad), { stream: true }), done: true, failure: "not_utf8" };
    return { text: this.decoder.decode(chunk.value, { stream: true }), done: false };
  }

  async cancel() {
    await this.bytes.cancel().catch(() => undefined);
  }
}

const FAILURE_REASONS: Record<Failure, string> = {
  not_utf8: "not_utf8: the file is not valid UTF-8 on this line; it and the rest of the file were not imported",
  upload_interrupted: "upload_interrupted: the upload broke off on this line; it and the rest of the file were not imported",
};

/**
 * Reads a CSV upload as it streams in and hands it to the import queue in chunks: only the current chunk,
 * one pending send batch and the unfinished last row are in memory, whatever the file's size. The header row is
 * checked before anything is stored (a 422 leaves no trace); from the first chunk on, problems become rows of
 * the import's error report instead. Row numbers are lines of the file: the header is line 1.
 */
export async function startCsvImport(
  db: Database,
  queue: ImportQueue,
  workspaceId: string,
  listId: string,
  body: ReadableStream<Uint8Array> | null,
): Promise<StartedImport> {
  if (!body) throw invalidField("body", "", "The CSV is empty: send a header row with an email column, then one row per subscriber");
  const text = new BodyText(body);
  const csv = new CsvRecordReader(MAX_ROW_CHARS);
  let header: HeaderMap | null = null;
  let sender: ChunkSender | null = null;
  let finished = false;

  try {
    for (;;) {
      const read = await text.next();
      let stop: Rejected | null = null;
      let records = csv.push(read.text);
      // After a failure the unfinished last row is cut off: it is reported with the rest, not parsed.
      if (read.done && !read.failure && !csv.overflow) records = records.concat(csv.end());

      for (const record of records) {
        if (!header) {
          if (isBlankRecord(record.fields)) continue;
          if (record.problem) throw invalidField("body", "", `The header row on line ${record.line} has malformed quotes`);
          header = mapHeader(record.fields);
          sender = new ChunkSender(db, queue, workspaceId, listId, header.attributeKeys);
          continue;
        }
        await addRecord(sender as ChunkSender, header, record);
      }

      if (read.failure && !csv.overflow) {
        if (!header) {
          if (read.failure === "not_utf8") throw invalidField("body", "", "The body is not UTF-8 text; save the file as CSV UTF-8");
          throw new ApiError("bad_request", "The upload was interrupted before the header row arrived");
        }
        stop = { row: csv.line, value: null, reason: FAILURE_REASONS[read.failure] };
      }
      if (csv.overflow) {
        if (!header) throw invalidField("body", "", `The header row is longer than ${MAX_ROW_CHARS / 1024} KB`);
        stop = {
          row: csv.overflow.line,
          value: csv.overflow.excerpt,
          reason: `row_too_long: the row is longer than ${MAX_ROW_CHARS / 1024} KB (often an unterminated quote); it and the rest of the file were not imported`,
        };
      }

      if (stop || read.done) {
        if (stop) {
          await (sender as ChunkSender).reject(stop);
          await text.cancel();
        }
        break;
      }
    }

    if (!header || !sender) throw invalidField("body", "", "The CSV is empty: send a header row with an email column, then one row per subscriber");
    if (sender.totalRows === 0) throw invalidField("body", "", "The CSV has a header row but no data rows");
    const row = await sender.finish();
    finished = true;
    return { import: row, columns: header.columns };
  } finally {
    // An import that was started but could not be handed over in full must not look like it is still coming.
    if (!finished && sender?.importRow) {
      await db
        .update(listImports)
        .set({ status: "failed", total_rows: sender.totalRows, chunks_total: sender.chunks, completed_at: new Date().toISOString() })
        .where(eq(listImports.id, sender.importRow.id));
    }
  }
}

async function addRecord(sender: ChunkSender, header: HeaderMap, { fields, line, lines, problem }: CsvRecord) {
  if (isBlankRecord(fields)) return;
  if (problem) {
    const what = problem === "unterminated_quote" ? "unterminated_quote: a quoted value is never closed" : "malformed_quotes: a closing quote is not followed by a delimiter or line break";
    // A bad quote makes the parser read on to the next quote that closes a value: say how far it went.
    const span = lines > 1 ? `; the row was read as running to line ${line + lines - 1}, so those lines were not imported either` : "";
    return sender.reject({ row: line, value: toCsvLine(fields), reason: `${what}${span}` });
  }
  for (let i = 0; i < fields.length; i++) {
    if ((i >= header.width || header.unnamed.has(i)) && fields[i].trim() !== "") {
      return sender.reject({
        row: line,
        value: toCsvLine(fields),
        reason: `unexpected_value: column ${i + 1} has a value but no name in the header row`,
      });
    }
  }
  const cell = (index: number | null) => (index === null ? "" : (fields[index] ?? ""));
  const row: ChunkRow = [line, cell(header.email), cell(header.name), cell(header.status), header.attributeIndexes.map((i) => fields[i] ?? "")];
  const bytes = utf8Length(JSON.stringify(row)) + 1;
  if (bytes > IMPORT_CHUNK_BYTES) {
    return sender.reject({ row: line, value: toCsvLine(fields), reason: `row_too_large: the row holds more than ${IMPORT_CHUNK_BYTES / 1000} KB of data` });
  }
  return sender.addRow(row, bytes);
}


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
    await db.update(listImports).set({ status: "processing" }).where(and(eq(listImports.id, current.id), eq(listImports.status, "queued")));
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
      result.skipped.push({ row, value: shown, reason: `status_${status}: the file marks this address ${status}; an import never subscribes it` });
      continue;
    }
    if (!SUBSCRIBED.has(status)) {
      result.errors.push({ row, value: rawStatus.trim(), reason: "invalid_status: expected active, unsubscribed, bounced or complained" });
      continue;
    }
    const first = firstRowOf.get(email);
    if (first !== undefined) {
      result.skipped.push({ row, value: shown, reason: `duplicate of row ${first}` });
      continue;
    }
    const name = rawName.trim();
    if (name.length > MAX_NAME_CHARS) {
      result.errors.push({ row, value: name, reason: `name_too_long: more than ${MAX_NAME_CHARS} characters` });
      continue;
    }
    const attributes: Record<string, string> = {};
    values.forEach((v, i) => {
      const value = v.trim();
      if (value !== "") attributes[msg.attribute_keys[i]] = value;
    });
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
    for (const e of outcome.errors) {
      result.skipped.push({ row: rowOf[e.index], value: inputs[e.index].email as string, reason: e.reason });
    }
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


const EXPORT_PAGE = 1000;
const FIXED_COLUMNS = ["email", "name", "status"];

/** The export's columns: email, name, status, then every attribute key used in the list, sorted. */
export async function exportColumns(db: Database, listId: string): Promise<{ header: string[]; keys: string[] }> {
  const rows = await db.all<{ key: string }>(
    sql`select distinct j.key as key from ${listMemberships} m join ${subscribers} s on s.id = m.subscriber_id, json_each(s.attributes) j where m.list_id = ${listId} order by j.key`,
  );
  const keys = rows.map((r) => r.key);
  const reserved = new Set(FIXED_COLUMNS);
  const header = [...FIXED_COLUMNS, ...keys.map((k) => (reserved.has(k.toLowerCase()) || k.toLowerCase().startsWith(ATTRIBUTE_PREFIX) ? `${ATTRIBUTE_PREFIX}${k}` : k))];
  return { header, keys };
}

const cell = (value: unknown): string => {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return String(value);
  return JSON.stringify(value);
};

/**
 * The list's subscribers as CSV, streamed: each pull reads the next page by subscriber id (keyset) and
 * writes it with papaparse's unparse, so memory holds one page whatever the list's size.
 */
export function exportListCsv(
  db: Database,
  workspaceId: string,
  listId: string,
  columns: { header: string[]; keys: string[] },
  options: { escapeFormulae?: boolean } = {},
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const unparse = (rows: string[][]) => Papa.unparse(rows, { newline: "\r\n", escapeFormulae: options.escapeFormulae ?? false });
  let after: string | null = null;
  let headerSent = false;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (!headerSent) {
          headerSent = true;
          controller.enqueue(encoder.encode(`${unparse([columns.header])}\r\n`));
          return;
        }
        const page = await db
          .select({ id: subscribers.id, email: subscribers.email, name: subscribers.name, status: subscribers.status, attributes: subscribers.attributes })
          .from(listMemberships)
          .innerJoin(subscribers, eq(subscribers.id, listMemberships.subscriber_id))
          .where(
            and(
              eq(listMemberships.list_id, listId),
              eq(listMemberships.workspace_id, workspaceId),
              after === null ? undefined : gt(listMemberships.subscriber_id, after),
            ),
          )
          .orderBy(asc(listMemberships.subscriber_id))
          .limit(EXPORT_PAGE);
        if (page.length > 0) {
          const rows = page.map((s) => [s.email, s.name ?? "", s.status, ...columns.keys.map((k) => cell(s.attributes?.[k]))]);
          controller.enqueue(encoder.encode(`${unparse(rows)}\r\n`));
          after = page[page.length - 1].id;
        }
        if (page.length < EXPORT_PAGE) controller.close();
      },
    },
    { highWaterMark: 1 },
  );
}
