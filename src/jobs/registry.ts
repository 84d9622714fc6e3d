import { aggregateEmailAnalytics } from "./aggregate-email-analytics.job";
import { alertDeadLetters } from "./alert-dead-letters.job";
import { checkScheduledCampaigns } from "./check-scheduled-campaigns.job";
import { checkWarmingThresholds } from "./check-warming-thresholds.job";
import type { Job } from "./job";
import { processWarmingDay } from "./process-warming-day.job";
import { pruneJobRuns } from "./prune-job-runs.job";
import { resetDailyVolumes } from "./reset-daily-volumes.job";
import { updateCampaignStats } from "./update-campaign-stats.job";

/** Every job of the platform. scheduled() runs those whose cron matches; operators run any by name. */
export const jobs: readonly Job[] = [
  alertDeadLetters,
  pruneJobRuns,
  processWarmingDay,
  resetDailyVolumes,
  checkWarmingThresholds,
  checkScheduledCampaigns,
  updateCampaignStats,
  aggregateEmailAnalytics,
];
