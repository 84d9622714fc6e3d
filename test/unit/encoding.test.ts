import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { utf8Length } from "../../src/lib/encoding";

const encodedLength = (s: string) => new TextEncoder().encode(s).length;

describe("utf8Length", () => {
  it.each([
    ["", 0],
    ["plain ascii", 11],
    ["café", 5],
    ["€", 3],
    ["😀", 4],
    ["\ud800", 3],
    ["\ud800\u00e9", 5],
    ["\udc00\ud800", 6],
  ])("counts %j as %i bytes", (text, bytes) => {
    expect(utf8Length(text)).toBe(bytes);
  });

  it("agrees with TextEncoder on any string, lone surrogates included", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (text) => utf8Length(text) === encodedLength(text)),
      { numRuns: 2000 },
    );
  });
});
