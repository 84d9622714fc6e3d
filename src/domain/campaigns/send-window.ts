import type { SendWindow } from "../../db/schema";
import { addDays, instantAtLocalMinute, localDate, localMinuteOfDay } from "../warming/local-day";

/** The send-window timezone that means "each subscriber's own", read from the `timezone` attribute. */
export const SUBSCRIBER_TIMEZONE = "subscriber";

const minutesOf = (hhmm: string) => {
  const [hours, minutes] = hhmm.split(":").map(Number);
  return hours * 60 + minutes;
};

/** Whether local wall time `minute` lies in [start, end); a window whose end is before its start crosses midnight. */
function inWindow(minute: number, start: number, end: number): boolean {
  if (start === end) return true;
  return start < end ? minute >= start && minute < end : minute >= start || minute < end;
}

export function isWithinWindow(window: SendWindow, timeZone: string, now: Date): boolean {
  return inWindow(localMinuteOfDay(now, timeZone), minutesOf(window.start), minutesOf(window.end));
}

/**
 * The next instant at or after `now` when the window is open in the zone: `now` itself when it is open, else the
 * next local `start` (today's or tomorrow's; a start the clocks skip opens right after the gap).
 */
export function nextWindowOpen(window: SendWindow, timeZone: string, now: Date): Date {
  if (isWithinWindow(window, timeZone, now)) return now;
  const start = minutesOf(window.start);
  const today = localDate(now, timeZone);
  for (const date of [today, addDays(today, 1), addDays(today, 2)]) {
    const opens = instantAtLocalMinute(date, start, timeZone);
    if (opens.getTime() > now.getTime()) return opens;
  }
  return new Date(now.getTime() + 86_400_000);
}

/** The zone a recipient's window is read in: its own when the window says "subscriber" and it has a valid one. */
export function recipientTimeZone(window: SendWindow | null, subscriberTimeZone: string | null, workspaceTimeZone: string): string | null {
  if (!window) return null;
  if (window.timezone !== SUBSCRIBER_TIMEZONE) return window.timezone;
  return subscriberTimeZone ?? workspaceTimeZone;
}
