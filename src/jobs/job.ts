import type { Database } from "../db/client";

/** The cron strings of wrangler.toml's [triggers]; every job runs on exactly one of them. */
export const CRON = {
  everyMinute: "* * * * *",
  hourly: "0 * * * *",
  daily: "0 0 * * *",
} as const;

export type CronSchedule = (typeof CRON)[keyof typeof CRON];

export interface JobContext {
  env: Env;
  db: Database;
  /** The scheduled time for cron runs, the request time for manual ones: jobs never read the clock themselves. */
  now: Date;
}

export interface Job {
  name: string;
  description: string;
  cron: CronSchedule;
  /** Returns a summary of what it did, stored with the run and returned by POST /admin/jobs/{name}. */
  run(ctx: JobContext): Promise<Record<string, unknown>>;
}
