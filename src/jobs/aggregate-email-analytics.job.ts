import { deleteExpiredRawEvents, rollUpCampaignEvents } from "../domain/analytics/rollup";
import { readConfig } from "../env";
import { CRON, type Job } from "./job";

/** Hourly, so the raw tail stats read on top of the rollups stays about two hours long. */
export const aggregateEmailAnalytics: Job = {
  name: "aggregate_email_analytics",
  description: "Roll raw opens, clicks and provider events up by hour, link and device, and delete raw events past their retention",
  cron: CRON.hourly,
  async run({ env, db, now }) {
    const rolledUpTo = await rollUpCampaignEvents(db, now);
    const deleted = await deleteExpiredRawEvents(db, now, readConfig(env).ANALYTICS_RAW_RETENTION_DAYS);
    return {
      rolled_up_to: rolledUpTo,
      retention_cutoff: deleted.cutoff,
      deleted_tracking_events: deleted.tracking_events,
      deleted_provider_event_logs: deleted.provider_event_logs,
    };
  },
};
