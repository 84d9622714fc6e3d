import { and, asc, eq } from "drizzle-orm";
import type { Database } from "../../db/client";
import { type Category, categories } from "../../db/schema";
import { conflict } from "../../lib/errors";
import { newId } from "../../lib/ids";

export async function createCategory(
  db: Database,
  workspaceId: string,
  input: { slug: string; name: string; description?: string | null },
): Promise<Category> {
  const [created] = await db
    .insert(categories)
    .values({ id: newId("cat"), workspace_id: workspaceId, slug: input.slug, name: input.name, description: input.description ?? null })
    .onConflictDoNothing()
    .returning();
  if (!created) throw conflict(`A category with slug "${input.slug}" already exists`);
  return created;
}

export async function listCategories(db: Database, workspaceId: string): Promise<Category[]> {
  return db.select().from(categories).where(eq(categories.workspace_id, workspaceId)).orderBy(asc(categories.slug)).limit(500);
}

export async function categoryBySlug(db: Database, workspaceId: string, slug: string): Promise<Category | undefined> {
  return db
    .select()
    .from(categories)
    .where(and(eq(categories.workspace_id, workspaceId), eq(categories.slug, slug)))
    .get();
}
