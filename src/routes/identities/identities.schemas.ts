import { z } from "@hono/zod-openapi";
import type { SendingIdentity } from "../../db/schema";
import { WorkspaceParamsSchema } from "../workspaces/workspaces.schemas";

export const IdentitySchema = z
  .object({
    id: z.string().openapi({ example: "idn_01JD8Z6W3B2C4D5E6F7G8H9J0K" }),
    domain_id: z.string(),
    email: z.string().openapi({ example: "news@mail.example.com" }),
    display_name: z.string().nullable().openapi({ example: "Acme Weekly" }),
    reply_to: z.string().nullable(),
    is_default: z.boolean(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("SendingIdentity");

export const CreateIdentitySchema = z
  .object({
    domain_id: z.string().min(1),
    email: z
      .string()
      .trim()
      .min(3)
      .max(254)
      .openapi({ description: "An address at the domain's sending host", example: "news@mail.example.com" }),
    display_name: z.string().trim().min(1).max(200).nullable().optional(),
    reply_to: z.email().nullable().optional(),
    is_default: z.boolean().optional().openapi({ description: "The identity a send on this domain uses when none is named" }),
  })
  .strict()
  .openapi("CreateSendingIdentity");

export const UpdateIdentitySchema = z
  .object({
    display_name: z.string().trim().min(1).max(200).nullable(),
    reply_to: z.email().nullable(),
    is_default: z.boolean(),
  })
  .partial()
  .strict()
  .openapi("UpdateSendingIdentity", { description: "The address cannot change: add another identity instead" });

export const IdentityParamsSchema = WorkspaceParamsSchema.extend({
  identity_id: z.string().openapi({ param: { name: "identity_id", in: "path" } }),
});

export const IdentityQuerySchema = z.object({
  domain_id: z
    .string()
    .optional()
    .openapi({ param: { name: "domain_id", in: "query" }, description: "Only this domain's identities" }),
});

export const toIdentityResponse = (i: SendingIdentity): z.infer<typeof IdentitySchema> => ({
  id: i.id,
  domain_id: i.domain_id,
  email: i.email,
  display_name: i.display_name,
  reply_to: i.reply_to,
  is_default: i.is_default,
  created_at: i.created_at,
  updated_at: i.updated_at,
});
