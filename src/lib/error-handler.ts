import type { ErrorHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import { ConfigError } from "../env";
import { ApiError, type ProblemCode } from "./errors";

const PROBLEM_JSON = { "content-type": "application/problem+json" };

const codeForStatus: Record<number, ProblemCode> = {
  400: "bad_request",
  401: "unauthorized",
  404: "not_found",
  409: "conflict",
  413: "content_too_large",
  415: "unsupported_media_type",
  422: "validation_failed",
  429: "rate_limited",
};

function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof HTTPException && codeForStatus[err.status]) {
    return new ApiError(codeForStatus[err.status], err.message || "Request could not be processed");
  }
  if (err instanceof ConfigError) {
    console.error(err.message);
    return new ApiError("internal_error", "The server is misconfigured; its operator has been told in the logs");
  }
  console.error("unhandled error", err);
  return new ApiError("internal_error", "Something went wrong on our side");
}

/** The single place where an error becomes a response: RFC 9457 problem+json, whatever was thrown. */
export const onError: ErrorHandler = (err, c) => {
  const problem = toApiError(err).toProblem(new URL(c.req.url).pathname);
  return c.body(JSON.stringify(problem), problem.status as 400, PROBLEM_JSON);
};

export const onNotFound: NotFoundHandler = (c) => {
  const problem = new ApiError("not_found", `No route for ${c.req.method} ${new URL(c.req.url).pathname}`).toProblem();
  return c.body(JSON.stringify(problem), 404, PROBLEM_JSON);
};
