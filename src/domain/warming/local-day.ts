/**
 * Calendar arithmetic in a workspace's time zone. Warming counts days as the workspace sees them: a domain
 * that started at 23:00 in Tokyo is on its second day an hour later, whatever the UTC date says. Dates are
 * "YYYY-MM-DD" strings, which compare and sort as text.
 */

const MS_PER_DAY = 86_400_000;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function wallClock(instant: number, timeZone: string): WallClock {
  const parts = Object.fromEntries(
    formatterFor(timeZone)
      .formatToParts(instant)
      .filter((p) => p.type !== "literal")
      .map((p) => [p.type, Number(p.value)]),
  );
  return { year: parts.year, month: parts.month, day: parts.day, hour: parts.hour, minute: parts.minute, second: parts.second };
}

const pad = (n: number, width = 2) => String(n).padStart(width, "0");
const formatDate = (year: number, month: number, day: number) => `${pad(year, 4)}-${pad(month)}-${pad(day)}`;

/** How far the zone's wall clock is ahead of UTC at this instant, in milliseconds. */
function offsetAt(instant: number, timeZone: string): number {
  const w = wallClock(instant, timeZone);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return asUtc - Math.floor(instant / 1000) * 1000;
}

/**
 * The instant at which the zone's wall clock shows this time. The offset is taken at two instants, one either
 * side of any daylight-saving change nearby; the earlier candidate that shows the wall time wins (a time the
 * clocks repeat is taken the first time). A time the clocks skip resolves to the instant after the gap.
 */
function instantOf(wall: WallClock, timeZone: string): number {
  const asUtc = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second);
  const first = asUtc - offsetAt(asUtc, timeZone);
  const second = asUtc - offsetAt(first, timeZone);
  const shows = (instant: number) => instant + offsetAt(instant, timeZone) === asUtc;
  const valid = [first, second].filter(shows);
  return valid.length > 0 ? Math.min(...valid) : Math.max(first, second);
}

const toInstant = (at: Date | string) => (typeof at === "string" ? Date.parse(at) : at.getTime());

/** "YYYY-MM-DDTHH:MM" of an instant on a timezone's wall clock. */
export function localDateTime(at: Date, timeZone: string): string {
  const w = wallClock(at.getTime(), timeZone);
  return `${formatDate(w.year, w.month, w.day)}T${pad(w.hour)}:${pad(w.minute)}`;
}

/**
 * Since 8 January 1972 every zone's UTC offset has been a whole number of minutes and every change of it has fallen
 * on a whole minute (Monrovia left -0:44:30 on 7 January 1972, the last exception), so from then on all instants of
 * one UTC minute share their local date. The event cascade asks for the date of every outcome of a batch: each
 * minute's is worked out once.
 */
const WHOLE_MINUTE_OFFSETS_SINCE = Date.UTC(1972, 0, 8);
const MS_PER_MINUTE = 60_000;
const datesByMinute = new Map<string, Map<number, string>>();

export function localDate(at: Date | string, timeZone: string): string {
  const instant = toInstant(at);
  if (!(instant >= WHOLE_MINUTE_OFFSETS_SINCE)) {
    const w = wallClock(instant, timeZone);
    return formatDate(w.year, w.month, w.day);
  }
  const minute = Math.floor(instant / MS_PER_MINUTE);
  let dates = datesByMinute.get(timeZone);
  if (!dates) {
    dates = new Map();
    datesByMinute.set(timeZone, dates);
  }
  let date = dates.get(minute);
  if (date === undefined) {
    if (dates.size >= 10_000) dates.clear();
    const w = wallClock(minute * MS_PER_MINUTE, timeZone);
    date = formatDate(w.year, w.month, w.day);
    dates.set(minute, date);
  }
  return date;
}

const dateParts = (date: string) => {
  const [year, month, day] = date.split("-").map(Number);
  return { year, month, day };
};

const parseDate = (date: string) => {
  const { year, month, day } = dateParts(date);
  return Date.UTC(year, month - 1, day);
};

export function addDays(date: string, days: number): string {
  const d = new Date(parseDate(date) + days * MS_PER_DAY);
  return formatDate(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate());
}

/** Whole calendar days from one date to another (negative when `to` is earlier). */
export function daysBetween(from: string, to: string): number {
  return Math.round((parseDate(to) - parseDate(from)) / MS_PER_DAY);
}

/** The first instant of a local date: its midnight, or the end of a daylight-saving gap that swallowed it. */
export function midnightOf(date: string, timeZone: string): Date {
  return new Date(instantOf({ ...dateParts(date), hour: 0, minute: 0, second: 0 }, timeZone));
}

/** The first instant of the local day that contains `now`. */
export function startOfLocalDay(now: Date, timeZone: string): Date {
  return midnightOf(localDate(now, timeZone), timeZone);
}

/** Minutes since local midnight at this instant, in the zone. */
export function localMinuteOfDay(at: Date, timeZone: string): number {
  const w = wallClock(at.getTime(), timeZone);
  return w.hour * 60 + w.minute;
}

/** The instant a local date shows a wall time of `minuteOfDay` (a time the clocks skip resolves to after the gap). */
export function instantAtLocalMinute(date: string, minuteOfDay: number, timeZone: string): Date {
  return new Date(instantOf({ ...dateParts(date), hour: Math.floor(minuteOfDay / 60), minute: minuteOfDay % 60, second: 0 }, timeZone));
}
