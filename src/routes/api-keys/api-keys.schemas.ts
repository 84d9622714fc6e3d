import { z } from "@hono/zod-openapi";
import type { ApiKey } from "../../db/schema";
import { WorkspaceParamsSchema } from "../workspaces/workspaces.schemas";

export const ApiKeySchema = z
  .object({
    id: z.string().openapi({ example: "key_01JD8Z6W3B2C4D5E6F7G8H9J0K" }),
    name: z.string(),
    prefix: z.string().openapi({ description: "The first characters of the key, to tell keys apart", example: "fc_Ab3dE9xQ" }),
    last_used_at: z.string().nullable(),
    revoked_at: z.string().nullable(),
    created_at: z.string(),
  })
  .openapi("ApiKey");

export const CreatedApiKeySchema = ApiKeySchema.extend({
  key: z.string().openapi({ description: "The secret key. Shown only in this response: store it now." }),
}).openapi("CreatedApiKey");

export const CreateApiKeySchema = z
  .object({ name: z.string().trim().min(1).max(100).openapi({ example: "CI deploys" }) })
  .openapi("CreateApiKey");

export const ApiKeyParamsSchema = WorkspaceParamsSchema.extend({
  key_id: z.string().openapi({ param: { name: "key_id", in: "path" } }),
});

export const toApiKeyResponse = (key: ApiKey): z.infer<typeof ApiKeySchema> => ({
  id: key.id,
  name: key.name,
  prefix: key.prefix,
  last_used_at: key.last_used_at,
  revoked_at: key.revoked_at,
  created_at: key.created_at,
});
