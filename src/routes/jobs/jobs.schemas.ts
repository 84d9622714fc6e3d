import { z } from "@hono/zod-openapi";
import { jobRunStatuses, jobTriggers } from "../../db/schema/enums";
import type { JobRun } from "../../jobs/runner";
import { orNull } from "../../lib/openapi";

export const JobRunSchema = z
  .object({
    id: z.string(),
    job_name: z.string(),
    trigger: z.enum(jobTriggers),
    cron: z.string().nullable(),
    status: z.enum(jobRunStatuses),
    result: z.record(z.string(), z.unknown()).nullable().openapi({ description: "What the job did" }),
    error: z.string().nullable(),
    started_at: z.string(),
    finished_at: z.string().nullable(),
  })
  .openapi("JobRun");

export const JobSchema = z
  .object({
    name: z.string().openapi({ example: "alert_dead_letters" }),
    description: z.string(),
    cron: z.string().openapi({ example: "* * * * *" }),
    last_run: orNull(JobRunSchema),
  })
  .openapi("Job");

export const JobParamsSchema = z.object({
  name: z.string().openapi({ param: { name: "name", in: "path" }, example: "alert_dead_letters" }),
});

export const toJobRunResponse = (run: JobRun): z.infer<typeof JobRunSchema> => ({
  id: run.id,
  job_name: run.job_name,
  trigger: run.trigger,
  cron: run.cron,
  status: run.status,
  result: run.result,
  error: run.error,
  started_at: run.started_at,
  finished_at: run.finished_at,
});
