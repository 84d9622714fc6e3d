import { z } from "@hono/zod-openapi";

/** The one error taxonomy of the API. Every error response is RFC 9457 problem+json built from this table. */
export const problemTypes = {
  bad_request: { status: 400, title: "Bad request" },
  unauthorized: { status: 401, title: "Unauthorized" },
  not_found: { status: 404, title: "Not found" },
  conflict: { status: 409, title: "Conflict" },
  content_too_large: { status: 413, title: "Content too large" },
  unsupported_media_type: { status: 415, title: "Unsupported media type" },
  validation_failed: { status: 422, title: "Validation failed" },
  rate_limited: { status: 429, title: "Too many requests" },
  internal_error: { status: 500, title: "Internal server error" },
  unavailable: { status: 503, title: "Service unavailable" },
} as const;

export type ProblemCode = keyof typeof problemTypes;
export type ProblemStatus = (typeof problemTypes)[ProblemCode]["status"];

export const fieldLocations = ["body", "query", "path", "header"] as const;

export const FieldErrorSchema = z
  .object({
    location: z.enum(fieldLocations),
    path: z.string().openapi({ description: "Dotted path of the offending field; array items by index", example: "items.0.email" }),
    message: z.string(),
    line: z.number().int().optional().openapi({ description: "For template syntax errors: line in the field's source" }),
    column: z.number().int().optional(),
  })
  .openapi("FieldError");

export const ProblemSchema = z
  .object({
    type: z.string().openapi({ example: "urn:flarecast:problem:validation_failed" }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string().optional().openapi({
      description: "This occurrence: the request's id as a URN",
      example: "urn:flarecast:request:0b8e0f6c-2f1e-4c55-9a4e-3c1d2b7a9f10",
    }),
    request_id: z.string().optional().openapi({
      description: "The request's id, also in the X-Request-Id response header and in the server's log lines about it",
      example: "0b8e0f6c-2f1e-4c55-9a4e-3c1d2b7a9f10",
    }),
    errors: z.array(FieldErrorSchema).optional(),
  })
  .openapi("Problem");

export type FieldError = z.infer<typeof FieldErrorSchema>;
export type Problem = z.infer<typeof ProblemSchema>;

export class ApiError extends Error {
  constructor(
    readonly code: ProblemCode,
    readonly detail: string,
    readonly errors?: FieldError[],
  ) {
    super(detail);
    this.name = "ApiError";
  }

  get status(): ProblemStatus {
    return problemTypes[this.code].status;
  }

  toProblem(instance?: string): Problem {
    return {
      type: `urn:flarecast:problem:${this.code}`,
      title: problemTypes[this.code].title,
      status: this.status,
      detail: this.detail,
      ...(instance ? { instance } : {}),
      ...(this.errors ? { errors: this.errors } : {}),
    };
  }
}

export const unauthorized = (detail: string) => new ApiError("unauthorized", detail);
