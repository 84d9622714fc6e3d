import { z } from "@hono/zod-openapi";
import { jsonContent, problemResponses } from "../../lib/openapi";
import { adminRoute } from "../route-kinds";
import { JobParamsSchema, JobRunSchema, JobSchema } from "./jobs.schemas";

const tags = ["Jobs"];

export const listJobs = adminRoute({
  method: "get",
  path: "/admin/jobs",
  operationId: "listJobs",
  summary: "List scheduled jobs with their cron and last run",
  tags,
  responses: { 200: jsonContent(z.object({ data: z.array(JobSchema) }).openapi("JobList"), "Every job") },
});

export const runJob = adminRoute({
  method: "post",
  path: "/admin/jobs/{name}",
  operationId: "runJob",
  summary: "Run a job now and return what it did",
  tags,
  request: { params: JobParamsSchema },
  responses: {
    200: jsonContent(JobRunSchema, "The finished run; `status` says whether the job succeeded"),
    ...problemResponses("not_found"),
  },
});
