import { eq } from "drizzle-orm";
import type { Database } from "../../db/client";
import { type Workspace, workspaces } from "../../db/schema";
import { newId } from "../../lib/ids";
import { keysetPage, type Page } from "../../lib/pagination";
import { firstFreeSlug, slugify } from "../../lib/slug";
import { conflict, notFound } from "../errors";
import { type IssuedApiKey, issueApiKey } from "./api-keys";

export interface NewWorkspace {
  name: string;
  slug?: string;
  timezone: string;
  postal_address?: string | null;
}

export interface WorkspaceChanges {
  name?: string;
  timezone?: string;
  postal_address?: string | null;
}

async function slugTaken(db: Database, slug: string): Promise<boolean> {
  const row = await db.select({ id: workspaces.id }).from(workspaces).where(eq(workspaces.slug, slug)).get();
  return row !== undefined;
}

/** A requested slug must be free; a derived one gets a numeric suffix until it is. */
async function chooseSlug(db: Database, input: NewWorkspace): Promise<string> {
  if (input.slug) {
    if (await slugTaken(db, input.slug)) throw conflict(`The slug "${input.slug}" is already in use`);
    return input.slug;
  }
  return firstFreeSlug(slugify(input.name, "workspace"), (slug) => slugTaken(db, slug));
}

/** Creates a workspace together with its first API key, which the caller shows exactly once. */
export async function createWorkspace(db: Database, input: NewWorkspace): Promise<{ workspace: Workspace; apiKey: IssuedApiKey }> {
  const slug = await chooseSlug(db, input);
  const id = newId("ws");
  const [workspace] = await db
    .insert(workspaces)
    .values({ id, name: input.name, slug, timezone: input.timezone, postal_address: input.postal_address ?? null })
    .returning();
  const apiKey = await issueApiKey(db, workspace.id, "Default key");
  return { workspace, apiKey };
}

export async function listWorkspaces(db: Database, limit: number, cursor?: string): Promise<Page<Workspace>> {
  return keysetPage((after) => db.select().from(workspaces).where(after), { key: workspaces.id, limit, cursor });
}

export async function updateWorkspace(db: Database, id: string, changes: WorkspaceChanges): Promise<Workspace> {
  const set = Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined));
  if (Object.keys(set).length === 0) {
    const current = await db.select().from(workspaces).where(eq(workspaces.id, id)).get();
    if (!current) throw notFound("Workspace");
    return current;
  }
  const [updated] = await db.update(workspaces).set(set).where(eq(workspaces.id, id)).returning();
  if (!updated) throw notFound("Workspace");
  return updated;
}
