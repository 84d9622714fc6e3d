import { advanceWarmingDays } from "../domain/warming/daily-cycle";
import { CRON, type Job } from "./job";

/**
 * Hourly although the spec says daily: a warming day begins at the workspace's local midnight, and those
 * midnights fall in every hour of the UTC day. A run in the same local day changes nothing.
 */
export const processWarmingDay: Job = {
  name: "process_warming_day",
  description: "Move warming domains and IPs whose workspace reached a new local day onto that day's cap; complete finished ramps",
  cron: CRON.hourly,
  run: ({ db, env, now }) => advanceWarmingDays(db, env, now),
};
