import type { AudienceFilter, FieldCondition } from "./segments";

/**
 * The audience filter language evaluated over one subscriber in memory, for callers that have a subscriber rather
 * than a table (the automation engine). It gives exactly the answer of the SQL that `compileFilter` builds; the
 * property test in test/integration/audience-filter-property.test.ts holds the two together.
 */

export interface MatchableSubscriber {
  email: string;
  name: string | null;
  status: string;
  created_at: string;
  attributes: Record<string, unknown>;
}

export interface FilterMatchContext {
  now: Date;
  /** The ids of the lists the subscriber is a member of. */
  listIds: ReadonlySet<string>;
  /** The subscriber's tracking events in the filter's workspace. */
  events: readonly { event_type: string; occurred_at: string }[];
}

export function matchesFilter(filter: AudienceFilter, subscriber: MatchableSubscriber, context: FilterMatchContext): boolean {
  if ("and" in filter) return filter.and.every((f) => matchesFilter(f, subscriber, context));
  if ("or" in filter) return filter.or.some((f) => matchesFilter(f, subscriber, context));
  if ("not" in filter) return !matchesFilter(filter.not, subscriber, context);
  if ("list" in filter) return context.listIds.has(filter.list.list_id) === (filter.list.op === "member");
  if ("engagement" in filter) {
    const { op, within_days } = filter.engagement;
    const since = engagementSince(context.now, within_days);
    const type = engagementEventType(op);
    const engaged = context.events.some((e) => e.event_type === type && e.occurred_at >= since);
    return op.startsWith("not_") ? !engaged : engaged;
  }
  return fieldMatches(filter, subscriber);
}

export const engagementSince = (now: Date, withinDays: number) => new Date(now.getTime() - withinDays * 86_400_000).toISOString();
export const engagementEventType = (op: string) => (op.endsWith("opened") ? "open" : "click");

/** The earliest and latest instants SQLite's date functions represent: years 0000 to 9999. */
const EARLIEST_INSTANT = -62_167_219_200_000;
const LATEST_INSTANT = 253_402_300_799_999;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:Z|([+-])(\d{2}):(\d{2}))?$/;

/**
 * The instant a date string names, in milliseconds since the epoch, or undefined when the string is not a date.
 * A date is `YYYY-MM-DDTHH:MM:SS[.fraction][Z|±HH:MM]` (no offset means UTC). It is read the way SQLite's date
 * functions read it, so that SQL and this evaluator agree: each field in SQLite's range (hour up to 24, offset up
 * to ±14:00), days past the month's end carried into the next month, the fraction capped at .999 and rounded to
 * the millisecond.
 */
export function instantOf(text: string): number | undefined {
  const m = DATE_TIME.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  const offsetHours = Number(m[9] ?? 0);
  const offsetMinutes = Number(m[10] ?? 0);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 24 || minute > 59 || second > 59 || offsetHours > 14 || offsetMinutes > 59) {
    return undefined;
  }
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, 0, 0);
  const offset = (m[8] === "-" ? -1 : 1) * (offsetHours * 60 + offsetMinutes);
  const instant = date.getTime() + Math.trunc((second + secondFraction(m[7])) * 1000 + 0.5) - offset * 60_000;
  return instant >= EARLIEST_INSTANT && instant <= LATEST_INSTANT ? instant : undefined;
}

/** The digits after the seconds' point, accumulated in the same floating-point steps as SQLite's date parser. */
function secondFraction(digits: string | undefined): number {
  if (!digits) return 0;
  let value = 0;
  let scale = 1;
  for (const digit of digits) {
    value = value * 10 + Number(digit);
    scale *= 10;
  }
  return Math.min(value / scale, 0.999);
}

/** A number, or a string that is a JSON number such as "70" or "-1.5e3"; anything else has no numeric value. */
function numberOf(value: unknown): number | undefined {
  if (typeof value === "number") return value;
  if (typeof value !== "string") return undefined;
  try {
    const parsed: unknown = JSON.parse(value);
    return typeof parsed === "number" ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function booleanOf(value: unknown): boolean | undefined {
  if (typeof value === "boolean") return value;
  if (value === "true") return true;
  if (value === "false") return false;
  return undefined;
}

/** SQLite's lower(): ASCII letters only. */
const asciiLower = (text: string) => text.replace(/[A-Z]+/g, (letters) => letters.toLowerCase());

/** SQLite's BINARY collation, i.e. UTF-8 byte order, which is code point order (not UTF-16 code unit order). */
function compareText(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

/** Surrogates encode code points above U+FFFF, so they rank above every other UTF-16 unit. */
const codePointRank = (unit: number) => (unit >= 0xd800 && unit <= 0xdfff ? unit + 0x10000 : unit);

type Ordering = "eq" | "gt" | "gte" | "lt" | "lte";

function holds(op: Ordering, order: number): boolean {
  switch (op) {
    case "eq":
      return order === 0;
    case "gt":
      return order > 0;
    case "gte":
      return order >= 0;
    case "lt":
      return order < 0;
    case "lte":
      return order <= 0;
  }
}

/** How an attribute compares with one filter value: by the kind of the filter value. */
function attributeCompares(attribute: unknown, op: Ordering, value: string | number | boolean): boolean {
  if (typeof value === "number") {
    const n = numberOf(attribute);
    return n !== undefined && holds(op, n === value ? 0 : n < value ? -1 : 1);
  }
  if (typeof value === "boolean") return booleanOf(attribute) === value;
  if (typeof attribute !== "string") return false;
  const instant = instantOf(value);
  if (instant !== undefined) {
    const attributeInstant = instantOf(attribute);
    return attributeInstant !== undefined && holds(op, attributeInstant - instant);
  }
  return holds(op, compareText(attribute, value));
}

function columnCompares(field: string, column: string | null, op: Ordering, value: string): boolean {
  if (column === null) return false;
  if (field === "created_at") return holds(op, compareText(column, new Date(instantOf(value) as number).toISOString()));
  const caseless = field === "email" || field === "email_domain";
  return holds(op, caseless ? compareText(asciiLower(column), value.toLowerCase()) : compareText(column, value));
}

function columnOf(field: string, s: MatchableSubscriber): string | null {
  if (field === "email_domain") return s.email.slice(s.email.indexOf("@") + 1);
  return s[field as "email" | "name" | "status" | "created_at"];
}

function fieldMatches(c: FieldCondition, s: MatchableSubscriber): boolean {
  const isAttribute = c.field.startsWith("attributes.");
  const attributes = typeof s.attributes === "object" && s.attributes !== null && !Array.isArray(s.attributes) ? s.attributes : {};
  const key = c.field.slice("attributes.".length);
  const present = isAttribute ? Object.hasOwn(attributes, key) : columnOf(c.field, s) !== null;
  const subject: unknown = isAttribute ? (present ? attributes[key] : undefined) : columnOf(c.field, s);
  const compares = (op: Ordering, value: string | number | boolean) =>
    isAttribute ? attributeCompares(subject, op, value) : columnCompares(c.field, subject as string | null, op, value as string);

  switch (c.op) {
    case "exists":
      return c.value === false ? !present : present;
    case "contains":
    case "starts_with": {
      if (typeof subject !== "string") return false;
      const at = asciiLower(subject).indexOf(asciiLower(String(c.value)));
      return c.op === "contains" ? at >= 0 : at === 0;
    }
    case "in":
      return (c.value as (string | number | boolean)[]).some((v) => compares("eq", v));
    case "neq":
      return !compares("eq", c.value as string | number | boolean);
    default:
      return compares(c.op, c.value as string | number | boolean);
  }
}
