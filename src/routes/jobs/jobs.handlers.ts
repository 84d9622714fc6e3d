import type { RouteHandler } from "@hono/zod-openapi";
import { notFound } from "../../domain/errors";
import { jobs } from "../../jobs/registry";
import { lastRunOf, runJob as run } from "../../jobs/runner";
import type { AppBindings } from "../../lib/create-app";
import type * as routes from "./jobs.routes";
import { toJobRunResponse } from "./jobs.schemas";

export const listJobs: RouteHandler<typeof routes.listJobs, AppBindings> = async (c) => {
  const data = await Promise.all(
    jobs.map(async (job) => {
      const last = await lastRunOf(c.var.db, job.name);
      return { name: job.name, description: job.description, cron: job.cron, last_run: last ? toJobRunResponse(last) : null };
    }),
  );
  return c.json({ data }, 200);
};

export const runJob: RouteHandler<typeof routes.runJob, AppBindings> = async (c) => {
  const job = jobs.find((j) => j.name === c.req.valid("param").name);
  if (!job) throw notFound("Job");
  const finished = await run(job, { env: c.env, db: c.var.db, now: new Date() }, "manual");
  return c.json(toJobRunResponse(finished), 200);
};
