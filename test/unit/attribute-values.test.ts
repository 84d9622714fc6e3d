import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { toRfc3339, typeCell } from "../../src/domain/audience/attribute-values";

const read = (value: string, type: Parameters<typeof typeCell>[1] = "auto") => {
  const cell = typeCell(value, type);
  return cell.ok ? cell.value : { error: cell.expected };
};

describe("typeCell", () => {
  it("infers numbers written the way they print, true/false, and leaves every other spelling a string", () => {
    const cases: [string, unknown][] = [
      ["70", 70],
      ["-3.5", -3.5],
      ["0", 0],
      ["0.25", 0.25],
      ["TRUE", true],
      ["false", false],
      ["007", "007"],
      ["02134", "02134"],
      ["+15551234567", "+15551234567"],
      ["1.50", "1.50"],
      ["1.10", "1.10"],
      ["1e5", "1e5"],
      ["-0", "-0"],
      ["1,000", "1,000"],
      ["4111111111111111111", "4111111111111111111"],
      ["0x1F", "0x1F"],
      ["Infinity", "Infinity"],
      ["yes", "yes"],
      ["2024-03-05", "2024-03-05"],
    ];
    for (const [value, expected] of cases) expect(read(value), value).toEqual(expected);
  });

  it("reads any number back from the way it prints, so an export re-imports with its numbers", () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer(), fc.double({ min: -1e15, max: 1e15, noNaN: true })), (n) => {
        const text = String(n);
        fc.pre(!text.includes("e") && !Object.is(n, -0));
        expect(read(text)).toBe(n);
      }),
    );
  });

  it("reads a declared type, or says what it expected", () => {
    expect(read("007", "number")).toBe(7);
    expect(read("1e3", "number")).toBe(1000);
    expect(read("70", "string")).toBe("70");
    expect(read("Yes", "boolean")).toBe(true);
    expect(read("0", "boolean")).toBe(false);
    expect(read("seventy", "number")).toEqual({ error: "a number" });
    expect(read("", "number")).toEqual({ error: "a number" });
    expect(read("maybe", "boolean")).toMatchObject({ error: expect.stringContaining("true or false") });
    expect(read("2024-03-05", "date")).toBe("2024-03-05T00:00:00.000Z");
    expect(read("05/03/2024", "date")).toMatchObject({ error: expect.stringContaining("date") });
  });
});

describe("toRfc3339", () => {
  it("normalizes ISO 8601 dates and times to UTC, and refuses dates that do not exist", () => {
    expect(toRfc3339("2024-03-05T10:00:00+02:00")).toBe("2024-03-05T08:00:00.000Z");
    expect(toRfc3339("2024-03-05 23:30-0130")).toBe("2024-03-06T01:00:00.000Z");
    expect(toRfc3339("2024-03-05T10:00:00.25Z")).toBe("2024-03-05T10:00:00.250Z");
    expect(toRfc3339("2024-02-29")).toBe("2024-02-29T00:00:00.000Z");
    expect(toRfc3339("0042-01-01")).toBe("0042-01-01T00:00:00.000Z");
    for (const bad of ["2023-02-29", "2024-13-01", "2024-03-05T24:00", "2024-03-05T10:60", "March 5, 2024", "2024-3-5", "1709251200", ""]) {
      expect(toRfc3339(bad), bad).toBeNull();
    }
  });

  it("gives back any UTC timestamp as it was", () => {
    fc.assert(
      fc.property(fc.date({ min: new Date("0001-01-01T00:00:00Z"), max: new Date("9999-12-31T23:59:59Z"), noInvalidDate: true }), (d) => {
        expect(toRfc3339(d.toISOString())).toBe(d.toISOString());
      }),
    );
  });
});
