import fc from "fast-check";
import Papa from "papaparse";
import { describe, expect, it } from "vitest";
import { type CsvRecord, CsvRecordReader, CsvRecordTooLongError, Utf8Validator } from "../../src/domain/audience/csv";

/** Feeds the text in the given pieces and collects every record, as the import's request handler does. */
function readAll(text: string, cuts: number[] = [], max = 64 * 1024): CsvRecord[] {
  const reader = new CsvRecordReader(max);
  const records: CsvRecord[] = [];
  let at = 0;
  for (const cut of [...new Set(cuts)].sort((a, b) => a - b)) {
    records.push(...reader.push(text.slice(at, cut)));
    at = cut;
  }
  records.push(...reader.push(text.slice(at)), ...reader.end());
  return records;
}

const nonBlank = (records: CsvRecord[]) => records.filter((r) => r.fields.some((f) => f.trim() !== ""));

const field = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom("", ",", ";", '"', '""', "a,b", 'say "hi"', "line\nbreak", "cr\r\nlf", "lone\rcr", " padded ", "Zoë 😀", "\t"),
);

describe("CsvRecordReader", () => {
  it("reads any RFC 4180 file the same however the text is split, with the line each record starts on", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }).chain((width) =>
          fc.record({
            rows: fc.array(fc.array(field, { minLength: width, maxLength: width }), { maxLength: 12 }),
            header: fc.constant(Array.from({ length: width }, (_, i) => `col${i}`)),
            newline: fc.constantFrom("\r\n", "\n", "\r"),
          }),
        ),
        fc.array(fc.nat(), { maxLength: 8 }),
        ({ rows, header, newline }, rawCuts) => {
          // Each data row starts with a marker, so none is blank and each can be found again.
          const data = rows.map((r, i) => [`r${i}`, ...r.slice(1)]);
          const text = Papa.unparse([header, ...data], { newline });
          const cuts = rawCuts.map((c) => c % (text.length + 1));
          const records = nonBlank(readAll(text, cuts));
          expect(records.map((r) => r.fields)).toEqual([header, ...data]);
          expect(records.every((r) => r.problem === undefined)).toBe(true);
          let line = 1;
          const lines = [header, ...data].map((fields) => {
            const start = line;
            line += 1 + fields.reduce((n, f) => n + (f.match(/\r\n|\r|\n/g)?.length ?? 0), 0);
            return start;
          });
          expect(records.map((r) => r.line)).toEqual(lines);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("takes the delimiter from the header row and counts blank lines", () => {
    expect(readAll("email;name\n\na@example.com;A, B\n", [3, 11]).map((r) => [r.line, r.fields])).toEqual([
      [1, ["email", "name"]],
      [2, [""]],
      [3, ["a@example.com", "A, B"]],
    ]);
    expect(readAll("email\tname\r\nb@example.com\tB\r\n")[1].fields).toEqual(["b@example.com", "B"]);
    expect(readAll("email\nc@example.com")[1].fields).toEqual(["c@example.com"]);
  });

  it("flags malformed and unterminated quotes on the record they spoil, which runs on to the next closing quote", () => {
    const malformed = readAll('email,name\n"a@example.com"x,A\nb@example.com,B\n"c@example.com",C\nd@example.com,D\n', [14]);
    expect(malformed.map((r) => [r.line, r.lines, r.problem])).toEqual([
      [1, 1, undefined],
      [2, 3, "malformed_quotes"],
      [5, 1, undefined],
    ]);
    expect(malformed[1].fields).toEqual(['a@example.com"x,A\nb@example.com,B\n"c@example.com', "C"]);
    const unterminated = readAll('email,name\nb@example.com,"B\nc@example.com,C\n');
    expect(unterminated.map((r) => [r.line, r.lines, r.problem])).toEqual([
      [1, 1, undefined],
      [2, 3, "unterminated_quote"],
    ]);
  });

  it("stops at a record longer than its limit, after returning the complete ones before it", () => {
    const reader = new CsvRecordReader(100);
    expect(reader.push(`email,name\nok@example.com,OK\n"${"y".repeat(150)}`).map((r) => r.fields[0])).toEqual(["email", "ok@example.com"]);
    expect(reader.overflow).toBeInstanceOf(CsvRecordTooLongError);
    expect(reader.overflow?.line).toBe(3);
    expect(() => reader.push("more")).toThrow(CsvRecordTooLongError);

    const header = new CsvRecordReader(100);
    expect(header.push("x".repeat(150))).toEqual([]);
    expect(header.overflow?.line).toBe(1);
  });
});

describe("Utf8Validator", () => {
  const valid = (bytes: Uint8Array) => {
    try {
      new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
      return true;
    } catch {
      return false;
    }
  };

  const validPrefix = (bytes: Uint8Array) => {
    try {
      new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes, { stream: true });
      return true;
    } catch {
      return false;
    }
  };

  it("agrees with a fatal TextDecoder on any bytes, however they are split, and finds the first bad byte", () => {
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 40 }),
      fc.string({ unit: "binary", maxLength: 20 }).map((t) => new TextEncoder().encode(t)),
      fc
        .tuple(fc.string({ unit: "binary", maxLength: 10 }), fc.uint8Array({ minLength: 1, maxLength: 4 }), fc.string({ maxLength: 5 }))
        .map(([a, junk, b]) => new Uint8Array([...new TextEncoder().encode(a), ...junk, ...new TextEncoder().encode(b)])),
    );
    fc.assert(
      fc.property(bytes, fc.array(fc.nat(), { maxLength: 4 }), (input, rawCuts) => {
        const cuts = [...new Set(rawCuts.map((c) => c % (input.length + 1)))].sort((a, b) => a - b);
        const v = new Utf8Validator();
        let bad = -1;
        let at = 0;
        for (const end of [...cuts, input.length]) {
          const i = v.check(input.subarray(at, end));
          if (i >= 0) {
            bad = at + i;
            break;
          }
          at = end;
        }
        expect(bad < 0 && !v.incomplete).toBe(valid(input));
        if (bad >= 0) {
          // The bytes before it decode (a character may be left unfinished); with it, they no longer do.
          expect(validPrefix(input.subarray(0, bad))).toBe(true);
          expect(validPrefix(input.subarray(0, bad + 1))).toBe(false);
        }
      }),
      { numRuns: 500 },
    );
  });
});
