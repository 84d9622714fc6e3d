import { and, count, eq, inArray, or, sql } from "drizzle-orm";
import type { Database } from "../../db/client";
import { emailCampaigns, listMemberships, type SubscriberList, subscriberLists } from "../../db/schema";
import { newId } from "../../lib/ids";
import { findInWorkspace } from "../../lib/lookups";
import { keysetPage, type Page } from "../../lib/pagination";
import { conflict, notFound } from "../errors";

export type ListWithCount = SubscriberList & { subscriber_count: number };

async function withCount(db: Database, list: SubscriberList): Promise<ListWithCount> {
  const [{ n }] = await db.select({ n: count() }).from(listMemberships).where(eq(listMemberships.list_id, list.id));
  return { ...list, subscriber_count: n };
}

export async function createList(db: Database, workspaceId: string, input: { name: string; description?: string | null }) {
  const [list] = await db
    .insert(subscriberLists)
    .values({ id: newId("lst"), workspace_id: workspaceId, name: input.name, description: input.description ?? null })
    .returning();
  return { ...list, subscriber_count: 0 };
}

export async function getList(db: Database, workspaceId: string, id: string): Promise<SubscriberList> {
  return findInWorkspace(db, subscriberLists, workspaceId, id, "List");
}

export const getListWithCount = async (db: Database, workspaceId: string, id: string) => withCount(db, await getList(db, workspaceId, id));

export async function listLists(db: Database, workspaceId: string, limit: number, cursor?: string): Promise<Page<ListWithCount>> {
  const page = await keysetPage(
    (after) =>
      db
        .select()
        .from(subscriberLists)
        .where(and(eq(subscriberLists.workspace_id, workspaceId), after)),
    { key: subscriberLists.id, limit, cursor },
  );
  return { ...page, data: await Promise.all(page.data.map((l) => withCount(db, l))) };
}

export async function updateList(
  db: Database,
  workspaceId: string,
  id: string,
  changes: { name?: string; description?: string | null },
): Promise<ListWithCount> {
  await getList(db, workspaceId, id);
  const set = Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined));
  if (Object.keys(set).length > 0) await db.update(subscriberLists).set(set).where(eq(subscriberLists.id, id));
  return getListWithCount(db, workspaceId, id);
}

/** Deleting a list removes its memberships, never the subscribers. */
/**
 * Refused while a campaign that may still send reads the list (as its list or in its audience filters): it would
 * find its audience gone when its time comes, and stay scheduled without sending.
 */
export async function deleteList(db: Database, workspaceId: string, id: string): Promise<void> {
  await getList(db, workspaceId, id);
  const campaigns = await db
    .select({ id: emailCampaigns.id })
    .from(emailCampaigns)
    .where(
      and(
        eq(emailCampaigns.workspace_id, workspaceId),
        inArray(emailCampaigns.status, ["draft", "scheduled", "sending", "paused"]),
        or(eq(emailCampaigns.list_id, id), sql`instr(${emailCampaigns.audience_filters}, ${JSON.stringify(id)}) > 0`),
      ),
    )
    .limit(5);
  if (campaigns.length > 0) {
    throw conflict(`List ${id} is used by campaigns ${campaigns.map((c) => c.id).join(", ")}: change or cancel them first`);
  }
  await db.delete(subscriberLists).where(eq(subscriberLists.id, id));
}

export async function removeMembership(db: Database, workspaceId: string, listId: string, subscriberId: string): Promise<void> {
  await getList(db, workspaceId, listId);
  const removed = await db
    .delete(listMemberships)
    .where(and(eq(listMemberships.list_id, listId), eq(listMemberships.subscriber_id, subscriberId)))
    .returning({ id: listMemberships.subscriber_id });
  if (removed.length === 0) throw notFound("Subscriber in this list");
}
