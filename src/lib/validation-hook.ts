import type { Hook } from "@hono/zod-openapi";
import { ApiError, type FieldError } from "./errors";

const locations: Record<string, FieldError["location"]> = {
  json: "body",
  form: "body",
  query: "query",
  param: "path",
  header: "header",
  cookie: "header",
};

/** Turns every zod validation failure into a 422 problem that names each offending field. */
export const validationHook: Hook<any, any, any, any> = (result) => {
  if (result.success) return;
  const location = locations[result.target] ?? "body";
  const errors = result.error.issues.map((issue) => ({
    location,
    path: issue.path.map(String).join("."),
    message: issue.message,
  }));
  const summary = errors.map((e) => (e.path ? `${e.path}: ${e.message}` : e.message)).join("; ");
  throw new ApiError("validation_failed", `Invalid ${location}: ${summary}`, errors);
};
