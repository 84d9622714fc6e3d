import { and, eq } from "drizzle-orm";
import type { Database } from "../../db/client";
import { visualBuilderDesigns } from "../../db/schema";
import { newId } from "../../lib/ids";
import { findInWorkspace } from "../../lib/lookups";
import { keysetPage, type Page } from "../../lib/pagination";
import type { Design } from "./design-schema";

export type StoredDesign = typeof visualBuilderDesigns.$inferSelect;

export async function createDesign(db: Database, workspaceId: string, input: { name: string; design: Design }): Promise<StoredDesign> {
  const [created] = await db
    .insert(visualBuilderDesigns)
    .values({ id: newId("dsg"), workspace_id: workspaceId, name: input.name, design: input.design as unknown as Record<string, unknown> })
    .returning();
  return created;
}

export async function getDesign(db: Database, workspaceId: string, id: string): Promise<StoredDesign> {
  return findInWorkspace(db, visualBuilderDesigns, workspaceId, id, "Design");
}

export async function listDesigns(db: Database, workspaceId: string, limit: number, cursor?: string): Promise<Page<StoredDesign>> {
  return keysetPage(
    (after) =>
      db
        .select()
        .from(visualBuilderDesigns)
        .where(and(eq(visualBuilderDesigns.workspace_id, workspaceId), after)),
    { key: visualBuilderDesigns.id, limit, cursor },
  );
}

export async function updateDesign(
  db: Database,
  workspaceId: string,
  id: string,
  changes: { name?: string; design?: Design },
): Promise<StoredDesign> {
  await getDesign(db, workspaceId, id);
  const set = {
    ...(changes.name !== undefined ? { name: changes.name } : {}),
    ...(changes.design !== undefined ? { design: changes.design as unknown as Record<string, unknown> } : {}),
  };
  if (Object.keys(set).length === 0) return getDesign(db, workspaceId, id);
  const [updated] = await db
    .update(visualBuilderDesigns)
    .set(set)
    .where(and(eq(visualBuilderDesigns.workspace_id, workspaceId), eq(visualBuilderDesigns.id, id)))
    .returning();
  return updated;
}

export async function deleteDesign(db: Database, workspaceId: string, id: string): Promise<void> {
  await getDesign(db, workspaceId, id);
  await db.delete(visualBuilderDesigns).where(and(eq(visualBuilderDesigns.workspace_id, workspaceId), eq(visualBuilderDesigns.id, id)));
}

export async function linkTemplate(db: Database, workspaceId: string, id: string, templateId: string): Promise<void> {
  await db
    .update(visualBuilderDesigns)
    .set({ template_id: templateId })
    .where(and(eq(visualBuilderDesigns.workspace_id, workspaceId), eq(visualBuilderDesigns.id, id)));
}
