import Papa from "papaparse";

/** One CSV record: its fields and the 1-based line of the file on which it starts. */
export interface CsvRecord {
  fields: string[];
  line: number;
  /** Lines the record spans (more than 1 when a quoted value holds line breaks). */
  lines: number;
  /** Set when papaparse could not read the record cleanly (bad or unterminated quotes). */
  problem?: string;
}

/** A record longer than the cap: usually an unterminated quote that swallowed the rest of the file. */
export class CsvRecordTooLongError extends Error {
  constructor(
    readonly line: number,
    readonly excerpt: string,
  ) {
    super(`the row on line ${line} is longer than the limit`);
    this.name = "CsvRecordTooLongError";
  }
}

const DELIMITERS = [",", ";", "\t"] as const;

/**
 * Spreadsheet formula injection (OWASP "CSV Injection"): a cell that starts with = + - @, tab or carriage return
 * runs as a formula when a spreadsheet opens the file. Exports prefix such a cell with a single quote, which a
 * spreadsheet shows as text and drops when it saves the file. A cell already starting with quotes before such a
 * character gets one more, so that imports can remove exactly one quote from every cell matching
 * ESCAPED_FORMULA: an exported list re-imports to the very same values, and a value a spreadsheet user typed
 * as '+1 imports as +1, as the spreadsheet itself would save it.
 */
export const FORMULA_START = /^'*[=+\-@\t\r]/;
const ESCAPED_FORMULA = /^'+[=+\-@\t\r]/;
export const unescapeFormula = (field: string) => (ESCAPED_FORMULA.test(field) ? field.slice(1) : field);
const LINE_BREAKS = /\r\n|\r|\n/g;

const lineBreaksIn = (field: string) => (field.includes("\n") || field.includes("\r") ? (field.match(LINE_BREAKS)?.length ?? 0) : 0);

/**
 * Where the first record ends (index of its line break outside quotes), or -1 when the text holds no complete
 * first line yet. A quote toggles the state; an escaped quote ("") toggles it twice, so it needs no special case.
 */
function firstLineBreak(text: string): { index: number; newline: "\r\n" | "\n" | "\r" } | null {
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') quoted = !quoted;
    else if (!quoted && ch === "\n") return { index: i, newline: "\n" };
    else if (!quoted && ch === "\r") {
      if (i + 1 === text.length) return null; // might be the first half of \r\n
      return { index: i, newline: text[i + 1] === "\n" ? "\r\n" : "\r" };
    }
  }
  return null;
}

/** The delimiter is the one of , ; and tab that occurs most often (outside quotes) in the header line. */
function delimiterOf(headerLine: string): string {
  const counts = new Map<string, number>(DELIMITERS.map((d) => [d, 0]));
  let quoted = false;
  for (const ch of headerLine) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && counts.has(ch)) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  }
  let best = ",";
  for (const d of DELIMITERS) if ((counts.get(d) ?? 0) > (counts.get(best) ?? 0)) best = d;
  return best;
}

/**
 * Incremental CSV parsing with papaparse's parser: feed text as it arrives, get back the records completed so
 * far. Only the unfinished last record is kept between pieces, so memory is bounded by `maxRecordChars`
 * whatever the file's size. Line breaks are detected from the header line (\r\n, \n or \r), the delimiter too.
 */
export class CsvRecordReader {
  private pending = "";
  private parser: Papa.Parser | null = null;
  private nextLine = 1;
  /**
   * Set when the unfinished record outgrew the limit. The records returned by the same push() are complete and
   * valid; the caller handles them, then stops reading.
   */
  overflow: CsvRecordTooLongError | null = null;

  constructor(private readonly maxRecordChars: number) {}

  /** The line on which the next record starts. */
  get line(): number {
    return this.nextLine;
  }

  push(text: string): CsvRecord[] {
    if (this.overflow) throw this.overflow;
    this.pending += text;
    if (!this.parser) {
      const brk = firstLineBreak(this.pending);
      if (!brk) {
        if (this.pending.length > this.maxRecordChars) this.overflow = new CsvRecordTooLongError(1, this.pending.slice(0, 200));
        return [];
      }
      this.parser = new Papa.Parser({ delimiter: delimiterOf(this.pending.slice(0, brk.index)), newline: brk.newline, quoteChar: '"' });
    }
    return this.parse(false);
  }

  /** The end of the input: whatever is pending is the last record. */
  end(): CsvRecord[] {
    if (this.overflow) throw this.overflow;
    if (!this.parser) {
      if (this.pending === "") return [];
      this.parser = new Papa.Parser({ delimiter: delimiterOf(this.pending), newline: "\n", quoteChar: '"' });
    }
    return this.parse(true);
  }

  private parse(final: boolean): CsvRecord[] {
    const parser = this.parser as Papa.Parser;
    const input = this.pending;
    const result = parser.parse(input, 0, !final) as {
      data: string[][];
      errors: { code: string; row: number }[];
      meta: { cursor: number };
    };
    this.pending = final ? "" : input.slice(result.meta.cursor);

    const problems = new Map<number, string>();
    for (const e of result.errors) {
      if (e.row < result.data.length && !problems.has(e.row)) {
        problems.set(e.row, e.code === "MissingQuotes" ? "unterminated_quote" : "malformed_quotes");
      }
    }
    const records: CsvRecord[] = [];
    result.data.forEach((fields, i) => {
      let lines = 1;
      for (const f of fields) lines += lineBreaksIn(f);
      const record: CsvRecord = { fields, line: this.nextLine, lines };
      const problem = problems.get(i);
      if (problem) record.problem = problem;
      records.push(record);
      this.nextLine += lines;
    });
    if (this.pending.length > this.maxRecordChars) this.overflow = new CsvRecordTooLongError(this.nextLine, this.pending.slice(0, 200));
    return records;
  }
}

/** True for a record with nothing in it (an empty line, or only delimiters and spaces). */
export const isBlankRecord = (fields: readonly string[]) => fields.every((f) => f.trim() === "");

/** One CSV line (no line break) for the given values, quoted as needed. */
export const toCsvLine = (values: readonly string[], delimiter = ",") => Papa.unparse([values as string[]], { delimiter, newline: "" });

/**
 * Checks UTF-8 (RFC 3629: no overlongs, surrogates or code points past U+10FFFF) chunk by chunk; a sequence may
 * continue into the next chunk.
 */
export class Utf8Validator {
  private need = 0;
  private lo = 0x80;
  private hi = 0xbf;

  /** Index of the first byte that cannot be valid UTF-8 here, or -1. */
  check(bytes: Uint8Array): number {
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i];
      if (this.need > 0) {
        if (b < this.lo || b > this.hi) return i;
        this.lo = 0x80;
        this.hi = 0xbf;
        this.need--;
      } else if (b < 0x80) {
        // ASCII
      } else if (b >= 0xc2 && b <= 0xdf) {
        this.need = 1;
      } else if (b >= 0xe0 && b <= 0xef) {
        this.need = 2;
        if (b === 0xe0) this.lo = 0xa0;
        else if (b === 0xed) this.hi = 0x9f;
      } else if (b >= 0xf0 && b <= 0xf4) {
        this.need = 3;
        if (b === 0xf0) this.lo = 0x90;
        else if (b === 0xf4) this.hi = 0x8f;
      } else {
        return i;
      }
    }
    return -1;
  }

  /** True when the bytes so far end inside a character: at the end of the input, that is an error. */
  get incomplete(): boolean {
    return this.need > 0;
  }
}
