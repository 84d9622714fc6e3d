import { lt } from "drizzle-orm";
import { jobRuns } from "../db/schema";
import { CRON, type Job } from "./job";

export const JOB_RUN_RETENTION_DAYS = 7;

/** Every-minute jobs write 1,440 runs a day each; a week of history is what an operator looks back on. */
export const pruneJobRuns: Job = {
  name: "prune_job_runs",
  description: `Delete job run history older than ${JOB_RUN_RETENTION_DAYS} days`,
  cron: CRON.hourly,
  async run({ db, now }) {
    const cutoff = new Date(now.getTime() - JOB_RUN_RETENTION_DAYS * 86_400_000).toISOString();
    const deleted = await db.delete(jobRuns).where(lt(jobRuns.started_at, cutoff)).returning({ id: jobRuns.id });
    return { deleted: deleted.length, cutoff };
  },
};
