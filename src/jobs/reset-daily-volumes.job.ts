import { resetDailyCounters } from "../domain/warming/daily-cycle";
import { CRON, type Job } from "./job";

/** Hourly, so that each workspace's counters reset within the hour after its own local midnight. */
export const resetDailyVolumes: Job = {
  name: "reset_daily_volumes",
  description: "Zero the daily send counters of the domains and IPs of workspaces whose local midnight has passed",
  cron: CRON.hourly,
  run: ({ db, env, now }) => resetDailyCounters(db, env, now),
};
