import { refreshRunCounters } from "../domain/campaigns/counters";
import { CRON, type Job } from "./job";

/** Every minute, so that a sending campaign's counters are never more than a minute from the recipients' truth. */
export const updateCampaignStats: Job = {
  name: "update_campaign_stats",
  description: "Recount the recipients of every run that is sending or paused, and their campaigns' counters",
  cron: CRON.everyMinute,
  run: ({ db }) => refreshRunCounters(db),
};
