import { Cron } from "croner";

/** The first occurrence of a cron expression strictly after `after`, read in an IANA timezone; null if none. */
export function nextOccurrence(cron: string, timezone: string, after: Date): Date | null {
  return new Cron(cron, { timezone, paused: true }).nextRun(after);
}
