import { Cron } from "croner";
import { isValidTimeZone } from "../../lib/timezones";

/**
 * Recurring campaigns read a five-field cron (minute hour day-of-month month day-of-week, or a nickname such as
 * @daily) in an IANA timezone. Seconds are refused: the scheduler looks for due campaigns once a minute.
 */
const cronOf = (cron: string, timezone: string) => new Cron(cron, { timezone, mode: "5-part" });

/** Why a cron cannot schedule a campaign, or null when it can. */
export function cronProblem(cron: string): string | null {
  let parsed: Cron;
  try {
    parsed = cronOf(cron, "UTC");
  } catch (error) {
    return `not a five-field cron expression (minute hour day-of-month month day-of-week): ${error instanceof Error ? error.message : String(error)}`;
  }
  if (parsed.nextRun(new Date()) === null) return "this cron expression never occurs";
  return null;
}

export function timezoneProblem(timezone: string): string | null {
  return isValidTimeZone(timezone) ? null : "must be an IANA time zone such as Europe/Berlin or UTC";
}

/**
 * The first time strictly after `after` at which `cron`, read in `timezone`, fires; null when it never fires again.
 * Across a daylight-saving change a wall-clock time that does not exist fires at the first instant after the gap,
 * and one that exists twice fires once.
 */
export function nextOccurrence(cron: string, timezone: string, after: Date): Date | null {
  return cronOf(cron, timezone).nextRun(after);
}

/** Times are stored as RFC 3339 UTC text and compared as text, which holds for four-digit years only. */
const LATEST_TIME = Date.parse("9999-12-31T23:59:59.999Z");

/** Why a campaign cannot be scheduled at `at`, or null when it can. */
export function scheduledAtProblem(at: Date, now: Date): string | null {
  if (at.getTime() <= now.getTime()) return "must be in the future";
  if (at.getTime() > LATEST_TIME) return "must be before the year 10000";
  return null;
}
