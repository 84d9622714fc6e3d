import { desc, eq } from "drizzle-orm";
import type { Database } from "../db/client";
import { jobRuns } from "../db/schema";
import { newId } from "../lib/ids";
import type { Job, JobContext } from "./job";

export type JobRun = typeof jobRuns.$inferSelect;

/** Runs one job and records the run, whether it succeeds or throws. */
export async function runJob(job: Job, ctx: JobContext, trigger: JobRun["trigger"], cron?: string): Promise<JobRun> {
  const id = newId("run");
  const started_at = new Date().toISOString();
  await ctx.db.insert(jobRuns).values({ id, job_name: job.name, trigger, cron, status: "running", started_at });
  let outcome: Pick<JobRun, "status" | "result" | "error">;
  try {
    outcome = { status: "succeeded", result: await job.run(ctx), error: null };
  } catch (err) {
    console.error(`job ${job.name} failed`, err);
    outcome = { status: "failed", result: null, error: err instanceof Error ? err.message : String(err) };
  }
  const [run] = await ctx.db
    .update(jobRuns)
    .set({ ...outcome, finished_at: new Date().toISOString() })
    .where(eq(jobRuns.id, id))
    .returning();
  return run;
}

/** The Worker's scheduled() entry: every job registered on this cron, concurrently. */
export async function runScheduledJobs(cron: string, registry: readonly Job[], ctx: JobContext): Promise<JobRun[]> {
  const due = registry.filter((job) => job.cron === cron);
  if (due.length === 0) console.warn(`no job is registered for cron "${cron}"`);
  const runs = await Promise.all(due.map((job) => runJob(job, ctx, "cron", cron)));
  const failed = runs.filter((run) => run.status === "failed");
  if (failed.length > 0) {
    // Rethrown so the cron invocation shows as failed in the dashboard and in `wrangler tail`.
    throw new Error(`jobs failed on "${cron}": ${failed.map((r) => `${r.job_name} (${r.error})`).join(", ")}`);
  }
  return runs;
}

export async function lastRunOf(db: Database, jobName: string): Promise<JobRun | undefined> {
  return db.select().from(jobRuns).where(eq(jobRuns.job_name, jobName)).orderBy(desc(jobRuns.started_at)).limit(1).get();
}
