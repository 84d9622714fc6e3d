import { and, eq, getTableColumns, inArray, type SQL, sql } from "drizzle-orm";
import type { Database } from "../../db/client";
import {
  categories,
  listMemberships,
  type Subscriber,
  subscriberCategoryPreferences,
  subscriberLists,
  subscribers,
  subscriptionChanges,
} from "../../db/schema";
import { chunk, rowsPerInsert } from "../../lib/chunk";
import { randomBase62 } from "../../lib/crypto";
import { newId } from "../../lib/ids";
import { findInWorkspace } from "../../lib/lookups";
import { keysetPage, type Page } from "../../lib/pagination";
import { conflict, invalidField } from "../errors";
import { subscriberLinkPair, type TokenSubscriber, type UrlEnv } from "../preferences/tokens";
import { normalizeEmail } from "./emails";
import { suppressionReason } from "./row-outcomes";
import { suppressionsFor } from "./suppressions";

export type SubscriberWithPreferences = Subscriber & { preferences: Record<string, boolean> };
type Frequency = Subscriber["frequency"];

export interface SubscriberLinks {
  preferences_url: string;
  unsubscribe_url: string;
}

/** The subscriber's preference page and one-click unsubscribe target, as the preference center verifies them. */
export async function subscriberLinks(env: UrlEnv, workspaceId: string, subscriber: TokenSubscriber): Promise<SubscriberLinks> {
  const links = await subscriberLinkPair(env, { workspaceId, subscriber });
  return { preferences_url: links.preferences, unsubscribe_url: links.unsubscribe };
}

/** Per-category opt-outs are rows with subscribed = false; a category without a row is subscribed. */
async function preferencesOf(db: Database, workspaceId: string, ids: string[]): Promise<Map<string, Record<string, boolean>>> {
  const cats = await db.select().from(categories).where(eq(categories.workspace_id, workspaceId));
  const byId = new Map<string, Record<string, boolean>>(ids.map((id) => [id, Object.fromEntries(cats.map((c) => [c.slug, true]))]));
  const slugOf = new Map(cats.map((c) => [c.id, c.slug]));
  for (const part of chunk(ids, 90)) {
    const rows = await db.select().from(subscriberCategoryPreferences).where(inArray(subscriberCategoryPreferences.subscriber_id, part));
    for (const row of rows) {
      const prefs = byId.get(row.subscriber_id);
      const slug = slugOf.get(row.category_id);
      if (prefs && slug) prefs[slug] = row.subscribed;
    }
  }
  return byId;
}

async function withPreferences(db: Database, workspaceId: string, rows: Subscriber[]): Promise<SubscriberWithPreferences[]> {
  const prefs = await preferencesOf(
    db,
    workspaceId,
    rows.map((r) => r.id),
  );
  return rows.map((r) => ({ ...r, preferences: prefs.get(r.id) ?? {} }));
}

export async function getSubscriber(db: Database, workspaceId: string, id: string): Promise<SubscriberWithPreferences> {
  const row = await findInWorkspace(db, subscribers, workspaceId, id, "Subscriber");
  return (await withPreferences(db, workspaceId, [row]))[0];
}

export interface SubscriberFilter {
  email?: string;
  status?: Subscriber["status"];
  list_id?: string;
}

/** A list_id that is not a list of this workspace is a 404, not an empty page that reads as an empty list. */
export async function listSubscribers(
  db: Database,
  workspaceId: string,
  filter: SubscriberFilter,
  limit: number,
  cursor?: string,
): Promise<Page<SubscriberWithPreferences>> {
  if (filter.list_id) await findInWorkspace(db, subscriberLists, workspaceId, filter.list_id, "List");
  const email = filter.email === undefined ? undefined : (normalizeEmail(filter.email) ?? filter.email.trim());
  const conditions: (SQL | undefined)[] = [
    eq(subscribers.workspace_id, workspaceId),
    email ? eq(subscribers.email, email) : undefined,
    filter.status ? eq(subscribers.status, filter.status) : undefined,
  ];
  const query = (after: SQL | undefined) => {
    const base = db.select(getTableColumns(subscribers)).from(subscribers);
    return filter.list_id
      ? base
          .innerJoin(listMemberships, eq(listMemberships.subscriber_id, subscribers.id))
          .where(and(...conditions, after, eq(listMemberships.list_id, filter.list_id)))
      : base.where(and(...conditions, after));
  };
  const page = await keysetPage(query, { key: subscribers.id, limit, cursor });
  return { ...page, data: await withPreferences(db, workspaceId, page.data) };
}

type CategoryRow = typeof categories.$inferSelect;

async function categoriesWithSlugs(db: Database, workspaceId: string, slugs: string[]): Promise<CategoryRow[]> {
  if (slugs.length === 0) return [];
  return db
    .select()
    .from(categories)
    .where(and(eq(categories.workspace_id, workspaceId), inArray(categories.slug, slugs)));
}

/** Upserts of each subscriber's setting for the given categories, to run in the caller's batch. */
function preferenceWrites(
  db: Database,
  workspaceId: string,
  subscriberIds: string[],
  cats: CategoryRow[],
  preferences: Record<string, boolean>,
) {
  const now = new Date().toISOString();
  const rows = subscriberIds.flatMap((subscriber_id) =>
    cats.map((c) => ({ workspace_id: workspaceId, subscriber_id, category_id: c.id, subscribed: preferences[c.slug], updated_at: now })),
  );
  return chunk(rows, rowsPerInsert(5)).map((part) =>
    db
      .insert(subscriberCategoryPreferences)
      .values(part)
      .onConflictDoUpdate({
        target: [subscriberCategoryPreferences.subscriber_id, subscriberCategoryPreferences.category_id],
        set: { subscribed: sql`excluded.subscribed`, updated_at: sql`excluded.updated_at` },
      }),
  );
}

/** Writes opt-in/opt-out rows for the given category slugs; unknown slugs are returned, not written. */
export async function setPreferences(db: Database, workspaceId: string, subscriberIds: string[], preferences: Record<string, boolean>) {
  const slugs = Object.keys(preferences);
  if (slugs.length === 0 || subscriberIds.length === 0) return [];
  const cats = await categoriesWithSlugs(db, workspaceId, slugs);
  for (const write of preferenceWrites(db, workspaceId, subscriberIds, cats, preferences)) await write;
  const known = new Set(cats.map((c) => c.slug));
  return slugs.filter((s) => !known.has(s));
}

/** The categories a subscriber's `preferences` name; an unknown slug is a 422 at its path, as in the preference center. */
async function requestedCategories(db: Database, workspaceId: string, preferences: Record<string, boolean> = {}): Promise<CategoryRow[]> {
  const cats = await categoriesWithSlugs(db, workspaceId, Object.keys(preferences));
  const known = new Set(cats.map((c) => c.slug));
  const unknown = Object.keys(preferences).find((slug) => !known.has(slug));
  if (unknown !== undefined) throw invalidField("body", `preferences.${unknown}`, `Unknown category "${unknown}"; create it first`);
  return cats;
}

/** 409 when the address, its domain or its erasure hash is on the workspace's blocklist. */
async function assertNotSuppressed(db: Database, workspaceId: string, email: string): Promise<void> {
  const hit = (await suppressionsFor(db, workspaceId, [email])).get(email);
  if (hit)
    throw conflict(`${email} cannot be added (${suppressionReason(hit.reason)}): a suppressed or erased address is never subscribed again`);
}

/**
 * The address, normalized, if a subscriber may take it: a valid address that no other subscriber of the
 * workspace has (409) and that is not suppressed or erased (409, as a bulk upsert skips it).
 */
async function claimableEmail(db: Database, workspaceId: string, raw: string): Promise<string> {
  const email = normalizeEmail(raw);
  if (!email) throw invalidField("body", "email", "Not a valid email address");
  await assertNotSuppressed(db, workspaceId, email);
  const taken = await db
    .select({ id: subscribers.id })
    .from(subscribers)
    .where(and(eq(subscribers.workspace_id, workspaceId), eq(subscribers.email, email)))
    .get();
  if (taken) throw conflict(`The subscriber ${taken.id} already has the address ${email}`);
  return email;
}

/** A concurrent request that took the address first makes the unique index refuse the write: that is a 409 too. */
async function unlessTaken<T>(email: string, write: Promise<T>): Promise<T> {
  try {
    return await write;
  } catch (err) {
    if (err instanceof Error && /UNIQUE constraint failed/i.test(`${err.message} ${(err.cause as Error | undefined)?.message ?? ""}`)) {
      throw conflict(`Another subscriber already has the address ${email}`);
    }
    throw err;
  }
}

export interface NewSubscriber {
  email: string;
  name?: string | null;
  attributes?: Record<string, unknown>;
  frequency?: Frequency;
  preferences?: Record<string, boolean>;
  /** Lists to add the subscriber to; none is fine. */
  list_ids?: string[];
}

/** Creates one subscriber, in the given lists or in none. Nothing is written unless all of it is valid. */
export async function createSubscriber(db: Database, workspaceId: string, input: NewSubscriber): Promise<SubscriberWithPreferences> {
  const listIds = [...new Set(input.list_ids ?? [])];
  if (listIds.length > 0) {
    const found = await db
      .select({ id: subscriberLists.id })
      .from(subscriberLists)
      .where(and(eq(subscriberLists.workspace_id, workspaceId), inArray(subscriberLists.id, listIds)));
    const known = new Set(found.map((l) => l.id));
    const missing = (input.list_ids ?? []).findIndex((id) => !known.has(id));
    if (missing >= 0) throw invalidField("body", `list_ids.${missing}`, "No such list in this workspace");
  }
  const email = await claimableEmail(db, workspaceId, input.email);
  const cats = await requestedCategories(db, workspaceId, input.preferences);

  const id = newId("sub");
  const values = {
    id,
    workspace_id: workspaceId,
    email,
    name: input.name ?? null,
    attributes: input.attributes ?? {},
    preference_token: randomBase62(24),
    ...(input.frequency ? { frequency: input.frequency } : {}),
  };
  await unlessTaken(
    email,
    db.batch([
      db.insert(subscribers).values(values),
      ...listIds.map((list_id) => db.insert(listMemberships).values({ workspace_id: workspaceId, list_id, subscriber_id: id })),
      ...preferenceWrites(db, workspaceId, [id], cats, input.preferences ?? {}),
    ]),
  );
  return getSubscriber(db, workspaceId, id);
}

export interface SubscriberChanges {
  email?: string;
  name?: string | null;
  attributes?: Record<string, unknown>;
  status?: "active" | "unsubscribed";
  frequency?: Frequency;
  preferences?: Record<string, boolean>;
}

/**
 * API changes to a subscriber, all checked before any is written, then written in one batch. Unsubscribing and
 * resubscribing are recorded with source `api`. Bounced and complained addresses cannot be reactivated here: those
 * states come from the mailbox provider; nor can a suppressed one, which create and bulk upsert refuse too.
 */
export async function updateSubscriber(
  db: Database,
  workspaceId: string,
  id: string,
  changes: SubscriberChanges,
): Promise<SubscriberWithPreferences> {
  const current = await getSubscriber(db, workspaceId, id);
  const now = new Date().toISOString();
  const set: Partial<Subscriber> = {};
  if (changes.email !== undefined && normalizeEmail(changes.email) !== current.email) {
    set.email = await claimableEmail(db, workspaceId, changes.email);
  }
  if (changes.name !== undefined) set.name = changes.name;
  if (changes.attributes !== undefined) set.attributes = changes.attributes;
  if (changes.frequency !== undefined) set.frequency = changes.frequency;

  const statements = [];
  if (changes.status && changes.status !== current.status) {
    if (current.status === "bounced" || current.status === "complained") {
      throw conflict(`A ${current.status} address cannot be reactivated through the API`);
    }
    if (changes.status === "active") await assertNotSuppressed(db, workspaceId, set.email ?? current.email);
    const unsubscribing = changes.status === "unsubscribed";
    Object.assign(set, {
      status: changes.status,
      unsubscribed_at: unsubscribing ? now : null,
      unsubscribe_source: unsubscribing ? "api" : null,
    });
    statements.push(
      db.insert(subscriptionChanges).values({
        id: newId("sch"),
        workspace_id: workspaceId,
        subscriber_id: id,
        action: unsubscribing ? "unsubscribed" : "resubscribed",
        source: "api",
        created_at: now,
      }),
    );
  }
  const cats = await requestedCategories(db, workspaceId, changes.preferences);
  statements.push(...preferenceWrites(db, workspaceId, [id], cats, changes.preferences ?? {}));
  if (Object.keys(set).length > 0) statements.push(db.update(subscribers).set(set).where(eq(subscribers.id, id)));
  const [first, ...rest] = statements;
  if (first) await unlessTaken(set.email ?? current.email, db.batch([first, ...rest]));
  return getSubscriber(db, workspaceId, id);
}

export async function deleteSubscriber(db: Database, workspaceId: string, id: string): Promise<void> {
  await getSubscriber(db, workspaceId, id);
  await db.delete(subscribers).where(and(eq(subscribers.workspace_id, workspaceId), eq(subscribers.id, id)));
}
