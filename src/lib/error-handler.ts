import type { Context, ErrorHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import { ConflictError, DomainError, InvalidFieldsError, MalformedInputError, NotFoundError } from "../domain/errors";
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

/** Domain errors know nothing of HTTP; this is where each kind gets its status. Undefined for other errors. */
export function apiErrorFor(err: unknown): ApiError | undefined {
  if (err instanceof ApiError) return err;
  if (!(err instanceof DomainError)) return undefined;
  if (err instanceof NotFoundError) return new ApiError("not_found", err.message);
  if (err instanceof ConflictError) return new ApiError("conflict", err.message);
  if (err instanceof InvalidFieldsError) return new ApiError("validation_failed", err.message, err.fields);
  if (err instanceof MalformedInputError) return new ApiError("bad_request", err.message);
  return undefined;
}

function toApiError(err: unknown, requestId: string): ApiError {
  const known = apiErrorFor(err);
  if (known) return known;
  if (err instanceof HTTPException && codeForStatus[err.status]) {
    return new ApiError(codeForStatus[err.status], err.message || "Request could not be processed");
  }
  if (err instanceof ConfigError) {
    console.error(`request ${requestId}: ${err.message}`);
    return new ApiError("internal_error", "The server is misconfigured; its operator has been told in the logs");
  }
  console.error(`request ${requestId}: unhandled error`, err);
  return new ApiError("internal_error", "Something went wrong on our side");
}

/** The request id names the occurrence, so that a client reporting a problem points at its log lines. */
function problemResponse(c: Context, error: ApiError): Response {
  const requestId = c.get("requestId");
  const problem = { ...error.toProblem(`urn:flarecast:request:${requestId}`), request_id: requestId };
  return c.body(JSON.stringify(problem), problem.status as 400, PROBLEM_JSON);
}

/** The single place where an error becomes a response: RFC 9457 problem+json, whatever was thrown. */
export const onError: ErrorHandler = (err, c) => problemResponse(c, toApiError(err, c.get("requestId")));

export const onNotFound: NotFoundHandler = (c) =>
  problemResponse(c, new ApiError("not_found", `No route for ${c.req.method} ${new URL(c.req.url).pathname}`));
