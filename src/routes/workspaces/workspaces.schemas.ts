import { z } from "@hono/zod-openapi";
import type { Workspace } from "../../db/schema";
import { SLUG_MESSAGE, SLUG_PATTERN } from "../../lib/slug";
import { isValidTimeZone } from "../../lib/timezones";

export const WorkspaceParamsSchema = z.object({
  ws: z
    .string()
    .min(1)
    .openapi({ param: { name: "ws", in: "path" }, description: "Workspace id or slug", example: "acme" }),
});

const TimezoneSchema = z
  .string()
  .refine(isValidTimeZone, "must be an IANA time zone such as Europe/Berlin or UTC")
  .openapi({ example: "Europe/Berlin" });

const PostalAddressSchema = z.string().trim().min(1).max(500).nullable().openapi({
  description: "Physical postal address printed in email footers (CAN-SPAM); lines separated by newlines",
  example: "Acme Inc.\n1 Market St\nSan Francisco, CA 94105\nUSA",
});

export const WorkspaceSchema = z
  .object({
    id: z.string().openapi({ example: "ws_01JD8Z6W3B2C4D5E6F7G8H9J0K" }),
    name: z.string(),
    slug: z.string(),
    timezone: z.string(),
    postal_address: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("Workspace");

export const CreateWorkspaceSchema = z
  .object({
    name: z.string().trim().min(1).max(100).openapi({ example: "Acme" }),
    slug: z.string().regex(SLUG_PATTERN, SLUG_MESSAGE).optional().openapi({ example: "acme" }),
    timezone: TimezoneSchema,
    postal_address: PostalAddressSchema.optional(),
  })
  .openapi("CreateWorkspace");

export const UpdateWorkspaceSchema = z
  .object({
    name: z.string().trim().min(1).max(100),
    timezone: TimezoneSchema,
    postal_address: PostalAddressSchema,
  })
  .partial()
  .strict()
  .openapi("UpdateWorkspace");

export const toWorkspaceResponse = (workspace: Workspace): z.infer<typeof WorkspaceSchema> => ({
  id: workspace.id,
  name: workspace.name,
  slug: workspace.slug,
  timezone: workspace.timezone,
  postal_address: workspace.postal_address,
  created_at: workspace.created_at,
  updated_at: workspace.updated_at,
});
