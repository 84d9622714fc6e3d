import { z } from "@hono/zod-openapi";
import { type ProblemCode, ProblemSchema, problemTypes } from "./errors";

export const jsonContent = <T extends z.ZodTypeAny>(schema: T, description: string) => ({
  content: { "application/json": { schema } },
  description,
});

/**
 * A named schema that may also be null. `.nullable()` on a schema registered with `.openapi("Name")` is written
 * into the document as a bare `$ref`, so generated clients would refuse the null; a union keeps it.
 */
export const orNull = <T extends z.ZodTypeAny>(schema: T) => z.union([schema, z.null()]);

export const jsonBody = <T extends z.ZodTypeAny>(schema: T) => ({
  content: { "application/json": { schema } },
  required: true,
});

const problemDescriptions: Record<ProblemCode, string> = {
  bad_request: "Malformed request, such as a body that is not JSON",
  unauthorized: "Missing, invalid or revoked credentials",
  not_found: "No such object in this workspace",
  conflict: "The change conflicts with the object's current state",
  content_too_large: "The body is larger than the API accepts (4 MiB for a JSON body)",
  unsupported_media_type: "The body's Content-Type is missing or is not one the endpoint takes",
  validation_failed: "A field failed validation; `errors` names each one",
  rate_limited: "Too many requests; retry later",
  internal_error: "Unexpected server error",
  unavailable: "Something the request depends on did not answer; send it again later",
};

/** OpenAPI response entries for the problem+json errors a route can return. */
export function problemResponses<const C extends readonly ProblemCode[]>(...codes: C) {
  return Object.fromEntries(
    codes.map((code) => [
      problemTypes[code].status,
      { content: { "application/problem+json": { schema: ProblemSchema } }, description: problemDescriptions[code] },
    ]),
  ) as {
    [K in C[number] as (typeof problemTypes)[K]["status"]]: {
      content: { "application/problem+json": { schema: typeof ProblemSchema } };
      description: string;
    };
  };
}

export const securitySchemes = {
  adminToken: {
    type: "http",
    scheme: "bearer",
    description: "The operator's ADMIN_TOKEN secret: creates workspaces and runs jobs",
  },
  workspaceKey: {
    type: "http",
    scheme: "bearer",
    description: "A workspace API key (`fc_…`), created with the workspace or through /workspaces/{ws}/api-keys",
  },
} as const;
