import { z } from "@hono/zod-openapi";
import type { ListWithCount } from "../../domain/audience/lists";
import { WorkspaceParamsSchema } from "../workspaces/workspaces.schemas";

export const ListSchema = z
  .object({
    id: z.string().openapi({ example: "lst_01JD8Z6W3B2C4D5E6F7G8H9J0K" }),
    name: z.string(),
    description: z.string().nullable(),
    subscriber_count: z.number().int(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("SubscriberList");

export const CreateListSchema = z
  .object({
    name: z.string().trim().min(1).max(200).openapi({ example: "Newsletter" }),
    description: z.string().max(1000).nullable().optional(),
  })
  .strict()
  .openapi("CreateSubscriberList");

export const UpdateListSchema = CreateListSchema.partial().strict().openapi("UpdateSubscriberList");

export const ListParamsSchema = WorkspaceParamsSchema.extend({
  list_id: z.string().openapi({ param: { name: "list_id", in: "path" } }),
});

export const MembershipParamsSchema = ListParamsSchema.extend({
  subscriber_id: z.string().openapi({ param: { name: "subscriber_id", in: "path" } }),
});

export const toListResponse = (l: ListWithCount): z.infer<typeof ListSchema> => ({
  id: l.id,
  name: l.name,
  description: l.description,
  subscriber_count: l.subscriber_count,
  created_at: l.created_at,
  updated_at: l.updated_at,
});
