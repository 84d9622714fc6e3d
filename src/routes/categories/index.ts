import * as categories from "../../domain/audience/categories";
import { createRouter } from "../../lib/create-app";
import * as routes from "./categories.routes";

export const categoriesRouter = createRouter()
  .openapi(routes.listCategories, async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const page = await categories.listCategoryPage(c.var.db, c.var.workspace.id, limit, cursor);
    return c.json({ data: page.data.map(routes.toCategoryResponse), next_cursor: page.next_cursor }, 200);
  })
  .openapi(routes.createCategory, async (c) =>
    c.json(routes.toCategoryResponse(await categories.createCategory(c.var.db, c.var.workspace.id, c.req.valid("json"))), 201),
  )
  .openapi(routes.updateCategory, async (c) =>
    c.json(
      routes.toCategoryResponse(
        await categories.updateCategory(c.var.db, c.var.workspace.id, c.req.valid("param").category_id, c.req.valid("json")),
      ),
      200,
    ),
  )
  .openapi(routes.deleteCategory, async (c) => {
    await categories.deleteCategory(c.var.db, c.var.workspace.id, c.req.valid("param").category_id);
    return c.body(null, 204);
  });
