import { pauseBreachingTargets } from "../domain/warming/threshold-check";
import { CRON, type Job } from "./job";

export const checkWarmingThresholds: Job = {
  name: "check_warming_thresholds",
  description: "Pause warming domains and IPs whose bounce, complaint or delivery rate breaches the workspace's thresholds",
  cron: CRON.hourly,
  run: ({ db, env, now }) => pauseBreachingTargets(db, env, now),
};
