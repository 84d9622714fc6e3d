import type { Hook } from "@hono/zod-openapi";
import type { z } from "zod";
import { ApiError, type FieldError } from "./errors";

const locations: Record<string, FieldError["location"]> = {
  json: "body",
  form: "body",
  query: "query",
  param: "path",
  header: "header",
  cookie: "header",
};

type Issue = z.core.$ZodIssue;

/**
 * Issues that say "this is the wrong shape altogether": the value is not even of the option's type (nor of any
 * type of a nested union), a key the option needs is absent, or keys it forbids.
 */
const isWrongShape = (i: Issue): boolean =>
  i.code === "unrecognized_keys" ||
  (i.code === "invalid_type" && (i.path.length === 0 || /received undefined/.test(i.message))) ||
  (i.code === "invalid_union" && i.path.length === 0 && i.errors.length > 0 && i.errors.every((option) => option.some(isWrongShape)));
const wrongShape = (issues: Issue[]) => issues.filter(isWrongShape).length;
const depth = (issues: Issue[]) => Math.max(0, ...issues.map((i) => i.path.length + (i.code === "invalid_union" ? 1 : 0)));

/**
 * A union that matches no option reports one issue per option. The option the client meant is the one whose
 * shape fits (fewest missing or unknown keys), then the one that got furthest, so its issues are the useful
 * ones: `filters.and.1.op`, not `filters`.
 */
function flatten(issue: Issue, prefix: PropertyKey[] = []): { path: PropertyKey[]; message: string }[] {
  const path = [...prefix, ...issue.path];
  if (issue.code === "invalid_union" && issue.errors.length > 0) {
    const best = [...issue.errors].sort((a, b) => wrongShape(a) - wrongShape(b) || depth(b) - depth(a) || a.length - b.length)[0];
    if (best.length > 0) return best.flatMap((i) => flatten(i, path));
  }
  // Each unknown key is its own field error, at its own path, so a client can point at it.
  if (issue.code === "unrecognized_keys") return issue.keys.map((key) => ({ path: [...path, key], message: "is not a known field" }));
  return [{ path, message: issue.message }];
}

/** Turns every zod validation failure into a 422 problem that names each offending field. */
// biome-ignore lint/suspicious/noExplicitAny: one hook serves every route, whatever its input, context and path.
export const validationHook: Hook<any, any, any, any> = (result) => {
  if (result.success) return;
  const location = locations[result.target] ?? "body";
  const errors = result.error.issues.flatMap((issue: Issue) =>
    flatten(issue).map(({ path, message }) => ({ location, path: path.map(String).join("."), message })),
  );
  const summary = errors.map((e: FieldError) => (e.path ? `${e.path}: ${e.message}` : e.message)).join("; ");
  throw new ApiError("validation_failed", `Invalid ${location}: ${summary}`, errors);
};
