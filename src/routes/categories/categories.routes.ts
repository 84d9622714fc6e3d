import { z } from "@hono/zod-openapi";
import type { Category } from "../../db/schema";
import { jsonBody, jsonContent, problemResponses } from "../../lib/openapi";
import { PaginationQuerySchema, pageSchema } from "../../lib/pagination";
import { workspaceRoute } from "../route-kinds";
import { WorkspaceParamsSchema } from "../workspaces/workspaces.schemas";

export const CategorySchema = z
  .object({
    id: z.string(),
    slug: z.string().openapi({ example: "product_updates" }),
    name: z.string().openapi({ example: "Product updates" }),
    description: z.string().nullable(),
    created_at: z.string(),
  })
  .openapi("Category");

export const CreateCategorySchema = z
  .object({
    slug: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_-]{0,47}$/, "must be 1-48 lowercase letters, digits, _ or -")
      .openapi({ example: "product_updates" }),
    name: z.string().trim().min(1).max(100),
    description: z.string().max(500).nullable().optional(),
  })
  .strict()
  .openapi("CreateCategory");

export const UpdateCategorySchema = z
  .object({ name: z.string().trim().min(1).max(100), description: z.string().max(500).nullable() })
  .partial()
  .strict()
  .openapi("UpdateCategory", { description: "The slug cannot change: campaigns name their category by it" });

export const CategoryParamsSchema = WorkspaceParamsSchema.extend({
  category_id: z.string().openapi({ param: { name: "category_id", in: "path" } }),
});

export const toCategoryResponse = (c: Category): z.infer<typeof CategorySchema> => ({
  id: c.id,
  slug: c.slug,
  name: c.name,
  description: c.description,
  created_at: c.created_at,
});

const tags = ["Categories"];
const path = "/workspaces/{ws}/email-marketing/categories";

export const listCategories = workspaceRoute({
  method: "get",
  path,
  operationId: "listCategories",
  summary: "List the workspace's subscription categories",
  tags,
  request: { params: WorkspaceParamsSchema, query: PaginationQuerySchema },
  responses: {
    200: jsonContent(pageSchema(CategorySchema).openapi("CategoryPage"), "A page of categories in slug order"),
    ...problemResponses("validation_failed"),
  },
});

export const createCategory = workspaceRoute({
  method: "post",
  path,
  operationId: "createCategory",
  summary: "Create a category subscribers can opt out of",
  tags,
  request: { params: WorkspaceParamsSchema, body: jsonBody(CreateCategorySchema) },
  responses: { 201: jsonContent(CategorySchema, "The category"), ...problemResponses("bad_request", "conflict", "validation_failed") },
});

export const updateCategory = workspaceRoute({
  method: "patch",
  path: `${path}/{category_id}`,
  operationId: "updateCategory",
  summary: "Rename or describe a category",
  tags,
  request: { params: CategoryParamsSchema, body: jsonBody(UpdateCategorySchema) },
  responses: { 200: jsonContent(CategorySchema, "The category"), ...problemResponses("bad_request", "validation_failed") },
});

export const deleteCategory = workspaceRoute({
  method: "delete",
  path: `${path}/{category_id}`,
  operationId: "deleteCategory",
  summary: "Delete a category and every subscriber's preference for it",
  description:
    "Subscribers' opt-outs of the category are deleted with it. Refused (409) while a campaign that may still send (draft, scheduled, sending, paused) names the category, since its opted-out subscribers would then receive it.",
  tags,
  request: { params: CategoryParamsSchema },
  responses: { 204: { description: "Deleted" }, ...problemResponses("conflict") },
});
