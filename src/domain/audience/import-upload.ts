import { eq, sql } from "drizzle-orm";
import type { Database } from "../../db/client";
import { listImports } from "../../db/schema";
import { utf8Length } from "../../lib/encoding";
import { newId } from "../../lib/ids";
import { invalidField, MalformedInputError } from "../errors";
import type { AttributeType } from "./attribute-values";
import { type CsvRecord, CsvRecordReader, isBlankRecord, toCsvLine, Utf8Validator, unescapeFormula } from "./csv";
import { type HeaderMap, type ImportColumns, mapHeader } from "./csv-columns";
import type { ImportChunkMessage } from "./import-chunk-message";
import { excerpt, type ListImport } from "./import-reports";

/** Rows per queue message; one message is one upsertSubscribers call in the consumer. */
export const IMPORT_CHUNK_ROWS = 500;
/** JSON bytes of a message's rows; with the envelope and the attribute keys it stays under the 128 KB limit. */
export const IMPORT_CHUNK_BYTES = 100_000;
/** A sendBatch may carry 256 KB in all; messages are grouped up to this many bytes. */
const SEND_BATCH_BYTES = 200_000;
/** The longest row the reader holds in memory; a longer one is nearly always an unterminated quote. */
export const MAX_ROW_CHARS = 64 * 1024;

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
    private readonly attributeTypes: AttributeType[],
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
      attribute_types: this.attributeTypes,
      rows: this.rows,
      rejected: this.rejected,
    };
    this.rows = [];
    this.rejected = [];
    const bytes = this.bytes + 1024 + utf8Length(JSON.stringify([this.attributeKeys, this.attributeTypes]));
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
    if (chunk.done)
      return this.utf8.incomplete ? { text: "", done: true, failure: "not_utf8" } : { text: this.decoder.decode(), done: true };
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
  declaredTypes: ReadonlyMap<string, AttributeType> = new Map(),
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
          header = mapHeader(record.fields.map(unescapeFormula), declaredTypes);
          sender = new ChunkSender(db, queue, workspaceId, listId, header.attributeKeys, header.attributeTypes);
          continue;
        }
        await addRecord(sender as ChunkSender, header, record);
      }

      if (read.failure && !csv.overflow) {
        if (!header) {
          if (read.failure === "not_utf8") throw invalidField("body", "", "The body is not UTF-8 text; save the file as CSV UTF-8");
          throw new MalformedInputError("The upload was interrupted before the header row arrived");
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

    if (!header || !sender)
      throw invalidField("body", "", "The CSV is empty: send a header row with an email column, then one row per subscriber");
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
    const what =
      problem === "unterminated_quote"
        ? "unterminated_quote: a quoted value is never closed"
        : "malformed_quotes: a closing quote is not followed by a delimiter or line break";
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
  // The reader keeps the file's text as written; the export's formula escapes come off where cells become values.
  const cell = (index: number | null) => (index === null ? "" : unescapeFormula(fields[index] ?? ""));
  const row: ChunkRow = [line, cell(header.email), cell(header.name), cell(header.status), header.attributeIndexes.map((i) => cell(i))];
  const bytes = utf8Length(JSON.stringify(row)) + 1;
  if (bytes > IMPORT_CHUNK_BYTES) {
    return sender.reject({
      row: line,
      value: toCsvLine(fields),
      reason: `row_too_large: the row holds more than ${IMPORT_CHUNK_BYTES / 1000} KB of data`,
    });
  }
  return sender.addRow(row, bytes);
}
