/**
 * The types a CSV attribute column can be read as. `auto` (the default) infers: a cell is a number only when
 * it is written exactly as JavaScript writes that number back (`70`, `-3.5`, `0.25`), so values whose spelling
 * matters stay strings: leading zeros (zip codes, phone numbers: `007`, `02134`), a sign (`+1`), trailing zeros
 * (`1.50`, version `1.10`), exponents (`1e5`) and integers too long to hold exactly (card numbers). `true` and
 * `false` (any case) are booleans. Everything else is a string. An exported list re-imports with the same types.
 */
export const attributeTypes = ["auto", "string", "number", "boolean", "date"] as const;
export type AttributeType = (typeof attributeTypes)[number];

export type AttributeValue = string | number | boolean;

export type TypedCell = { ok: true; value: AttributeValue } | { ok: false; expected: string };

const CANONICAL_NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?$/;
const ANY_DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const BOOLEANS: Record<string, boolean> = { true: true, false: false, yes: true, no: false, "1": true, "0": false };

/**
 * An ISO 8601 date, or date and time with an optional offset (`2024-03-05`, `2024-03-05T10:00`,
 * `2024-03-05 10:00:00.5+02:00`). Without an offset the time is taken as UTC.
 */
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?([Zz]|[+-]\d{2}:?\d{2})?)?$/;

function inferred(value: string): AttributeValue {
  if (CANONICAL_NUMBER.test(value) && String(Number(value)) === value) return Number(value);
  const lower = value.toLowerCase();
  if (lower === "true" || lower === "false") return lower === "true";
  return value;
}

/** The date as an RFC 3339 UTC timestamp, or null when it is not a real calendar date and time. */
export function toRfc3339(value: string): string | null {
  const m = ISO_DATE.exec(value);
  if (!m) return null;
  const [, y, mo, d, h = "00", mi = "00", s = "00", fraction = "", offset = "Z"] = m;
  const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, s].map(Number);
  // setUTCFullYear, not Date.UTC: Date.UTC reads years 0 to 99 as 1900 to 1999.
  const at = new Date(0);
  at.setUTCFullYear(year, month - 1, day);
  if (at.getUTCMonth() !== month - 1 || at.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) return null;
  let offsetMinutes = 0;
  if (offset.toUpperCase() !== "Z") {
    const digits = offset.replace(":", "");
    const [oh, om] = [Number(digits.slice(1, 3)), Number(digits.slice(3, 5))];
    if (oh > 23 || om > 59) return null;
    offsetMinutes = (digits[0] === "-" ? -1 : 1) * (oh * 60 + om);
  }
  at.setUTCHours(hour, minute - offsetMinutes, second, Math.floor(Number(`0.${fraction || "0"}`) * 1000));
  return at.toISOString();
}

/** A trimmed, non-empty cell as the column's type, or what was expected when it cannot be read so. */
export function typeCell(value: string, type: AttributeType): TypedCell {
  switch (type) {
    case "auto":
      return { ok: true, value: inferred(value) };
    case "string":
      return { ok: true, value };
    case "number": {
      const n = Number(value);
      return ANY_DECIMAL.test(value) && Number.isFinite(n) ? { ok: true, value: n } : { ok: false, expected: "a number" };
    }
    case "boolean": {
      const b = BOOLEANS[value.toLowerCase()];
      return b === undefined ? { ok: false, expected: "true or false (or yes/no, 1/0)" } : { ok: true, value: b };
    }
    case "date": {
      const date = toRfc3339(value);
      return date === null ? { ok: false, expected: "a date such as 2024-03-05 or 2024-03-05T10:00:00Z" } : { ok: true, value: date };
    }
  }
}
