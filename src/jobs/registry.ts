import { alertDeadLetters } from "./alert-dead-letters.job";
import type { Job } from "./job";
import { pruneJobRuns } from "./prune-job-runs.job";

/** Every job of the platform. scheduled() runs those whose cron matches; operators run any by name. */
export const jobs: readonly Job[] = [alertDeadLetters, pruneJobRuns];
