import { and, asc, eq, inArray } from "drizzle-orm";
import type { Database } from "../../db/client";
import { type Category, categories, emailCampaigns, subscriberCategoryPreferences } from "../../db/schema";
import { newId } from "../../lib/ids";
import { keysetPage, type Page } from "../../lib/pagination";
import { conflict, notFound } from "../errors";

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

/** A page of the workspace's categories in slug order: a slug is unique in its workspace, so it is the page key. */
export async function listCategoryPage(db: Database, workspaceId: string, limit: number, cursor?: string): Promise<Page<Category>> {
  return keysetPage(
    (after) =>
      db
        .select()
        .from(categories)
        .where(and(eq(categories.workspace_id, workspaceId), after)),
    {
      key: categories.slug,
      limit,
      cursor,
    },
  );
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

export async function getCategory(db: Database, workspaceId: string, id: string): Promise<Category> {
  const category = await db
    .select()
    .from(categories)
    .where(and(eq(categories.workspace_id, workspaceId), eq(categories.id, id)))
    .get();
  if (!category) throw notFound("Category");
  return category;
}

/** The slug stays: campaigns name their category by it. */
export async function updateCategory(
  db: Database,
  workspaceId: string,
  id: string,
  changes: { name?: string; description?: string | null },
): Promise<Category> {
  const current = await getCategory(db, workspaceId, id);
  const set: Partial<typeof categories.$inferInsert> = {};
  if (changes.name !== undefined) set.name = changes.name;
  if (changes.description !== undefined) set.description = changes.description;
  if (Object.keys(set).length === 0) return current;
  const [updated] = await db.update(categories).set(set).where(eq(categories.id, id)).returning();
  return updated;
}

/**
 * Deletes the category and every subscriber's preference for it: an opt-out of a category that no longer
 * exists has nothing left to apply to. Refused while a campaign that may still send names the category,
 * since its opted-out subscribers would then receive it.
 */
export async function deleteCategory(db: Database, workspaceId: string, id: string): Promise<void> {
  const category = await getCategory(db, workspaceId, id);
  const campaigns = await db
    .select({ id: emailCampaigns.id })
    .from(emailCampaigns)
    .where(
      and(
        eq(emailCampaigns.workspace_id, workspaceId),
        eq(emailCampaigns.category_slug, category.slug),
        inArray(emailCampaigns.status, ["draft", "scheduled", "sending", "paused"]),
      ),
    )
    .limit(5);
  if (campaigns.length > 0) {
    throw conflict(
      `Category ${category.slug} is used by campaigns ${campaigns.map((c) => c.id).join(", ")}: its opted-out subscribers would receive them`,
    );
  }
  await db.batch([
    db.delete(subscriberCategoryPreferences).where(eq(subscriberCategoryPreferences.category_id, id)),
    db.delete(categories).where(eq(categories.id, id)),
  ]);
}
