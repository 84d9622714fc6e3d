import { and, eq, getTableColumns, inArray, type SQL, sql } from "drizzle-orm";
import type { Database } from "../../db/client";
import {
  categories,
  listMemberships,
  type Subscriber,
  subscriberCategoryPreferences,
  subscribers,
  subscriptionChanges,
} from "../../db/schema";
import { chunk, rowsPerInsert } from "../../lib/chunk";
import { randomBase62 } from "../../lib/crypto";
import { conflict } from "../../lib/errors";
import { newId } from "../../lib/ids";
import { findInWorkspace } from "../../lib/lookups";
import { keysetPage, type Page } from "../../lib/pagination";
import { normalizeEmail } from "./emails";
import { suppressionsFor } from "./suppressions";

export type SubscriberWithPreferences = Subscriber & { preferences: Record<string, boolean> };
type Frequency = Subscriber["frequency"];

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
  const prefs = await preferencesOf(db, workspaceId, rows.map((r) => r.id));
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

export async function listSubscribers(
  db: Database,
  workspaceId: string,
  filter: SubscriberFilter,
  limit: number,
  cursor?: string,
): Promise<Page<SubscriberWithPreferences>> {
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

/** Writes opt-in/opt-out rows for the given category slugs; unknown slugs are returned, not written. */
async function setPreferences(db: Database, workspaceId: string, subscriberIds: string[], preferences: Record<string, boolean>) {
  const slugs = Object.keys(preferences);
  if (slugs.length === 0 || subscriberIds.length === 0) return [];
  const now = new Date().toISOString();
  const cats = await db
    .select()
    .from(categories)
    .where(and(eq(categories.workspace_id, workspaceId), inArray(categories.slug, slugs)));
  const known = new Set(cats.map((c) => c.slug));
  const rows = subscriberIds.flatMap((subscriber_id) =>
    cats.map((c) => ({ workspace_id: workspaceId, subscriber_id, category_id: c.id, subscribed: preferences[c.slug], updated_at: now })),
  );
  for (const part of chunk(rows, rowsPerInsert(5))) {
    await db
      .insert(subscriberCategoryPreferences)
      .values(part)
      .onConflictDoUpdate({
        target: [subscriberCategoryPreferences.subscriber_id, subscriberCategoryPreferences.category_id],
        set: { subscribed: sql`excluded.subscribed`, updated_at: sql`excluded.updated_at` },
      });
  }
  return slugs.filter((s) => !known.has(s));
}

export interface SubscriberChanges {
  name?: string | null;
  attributes?: Record<string, unknown>;
  status?: "active" | "unsubscribed";
  frequency?: Frequency;
  preferences?: Record<string, boolean>;
}

/**
 * API changes to a subscriber. Unsubscribing and resubscribing are recorded with source `api`. Bounced and
 * complained addresses cannot be reactivated here: those states come from the mailbox provider.
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
  if (changes.name !== undefined) set.name = changes.name;
  if (changes.attributes !== undefined) set.attributes = changes.attributes;
  if (changes.frequency !== undefined) set.frequency = changes.frequency;

  const statements = [];
  if (changes.status && changes.status !== current.status) {
    if (current.status === "bounced" || current.status === "complained") {
      throw conflict(`A ${current.status} address cannot be reactivated through the API`);
    }
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
  if (changes.preferences) {
    const unknown = await setPreferences(db, workspaceId, [id], changes.preferences);
    if (unknown.length > 0) throw conflict(`Unknown categories: ${unknown.join(", ")}; create them first`);
  }
  if (Object.keys(set).length > 0) statements.push(db.update(subscribers).set(set).where(eq(subscribers.id, id)));
  const [first, ...rest] = statements;
  if (first) await db.batch([first, ...rest]);
  return getSubscriber(db, workspaceId, id);
}

export async function deleteSubscriber(db: Database, workspaceId: string, id: string): Promise<void> {
  await getSubscriber(db, workspaceId, id);
  await db.delete(subscribers).where(and(eq(subscribers.workspace_id, workspaceId), eq(subscribers.id, id)));
}

/** A bound JSON array stays well under D1's 2 MB value limit. */
const MAX_JSON_PARAM_BYTES = 512 * 1024;

function chunkByJsonBytes<T>(items: readonly T[], maxBytes: number): T[][] {
  const out: T[][] = [];
  let current: T[] = [];
  let bytes = 2;
  for (const item of items) {
    const size = new TextEncoder().encode(JSON.stringify(item)).length + 1;
    if (current.length > 0 && bytes + size > maxBytes) {
      out.push(current);
      current = [];
      bytes = 2;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length > 0) out.push(current);
  return out;
}

export interface SubscriberInput {
  email: unknown;
  name?: string | null;
  attributes?: Record<string, unknown>;
  preferences?: Record<string, boolean>;
}

export interface UpsertOutcome {
  created: number;
  updated: number;
  skipped: number;
  errors: { index: number; email: string | null; reason: string }[];
}

/**
 * Adds subscribers to a list, creating or updating them by email. Invalid and duplicate rows are reported;
 * suppressed and erased addresses are skipped with their reason, never re-added. An existing subscriber's
 * status is left alone: adding an unsubscribed address to a list does not resubscribe it.
 */
export async function upsertSubscribers(
  db: Database,
  workspaceId: string,
  listId: string,
  inputs: readonly SubscriberInput[],
): Promise<UpsertOutcome> {
  const outcome: UpsertOutcome = { created: 0, updated: 0, skipped: 0, errors: [] };
  const accepted = new Map<string, { index: number; input: SubscriberInput }>();
  inputs.forEach((input, index) => {
    const email = normalizeEmail(input.email);
    const shown = typeof input.email === "string" ? input.email : null;
    if (!email) outcome.errors.push({ index, email: shown, reason: "invalid_email" });
    else if (accepted.has(email)) {
      outcome.skipped++;
      outcome.errors.push({ index, email, reason: `duplicate of row ${accepted.get(email)?.index}` });
    } else accepted.set(email, { index, input });
  });

  const suppressed = await suppressionsFor(db, workspaceId, [...accepted.keys()]);
  for (const [email, { index }] of accepted) {
    const hit = suppressed.get(email);
    if (!hit) continue;
    accepted.delete(email);
    outcome.skipped++;
    outcome.errors.push({ index, email, reason: hit.reason === "erased" ? "erased" : `suppressed (${hit.reason})` });
  }

  const existing = new Map<string, Subscriber>();
  if (accepted.size > 0) {
    const rows = await db
      .select()
      .from(subscribers)
      .where(and(eq(subscribers.workspace_id, workspaceId), sql`${subscribers.email} in (select value from json_each(${JSON.stringify([...accepted.keys()])}))`));
    for (const row of rows) existing.set(row.email, row);
  }

  const now = new Date().toISOString();
  const rows: [string, string, string | null, string, string, string][] = [];
  const idsByEmail = new Map<string, string>();
  for (const [email, { input }] of accepted) {
    const found = existing.get(email);
    const id = found?.id ?? newId("sub");
    idsByEmail.set(email, id);
    rows.push([
      id,
      email,
      input.name !== undefined ? (input.name ?? null) : (found?.name ?? null),
      JSON.stringify({ ...found?.attributes, ...input.attributes }),
      found?.preference_token ?? randomBase62(24),
      found?.created_at ?? now,
    ]);
    if (found) outcome.updated++;
    else outcome.created++;
  }

  // The rows travel as one bound JSON array per statement (json_each), not as 13 bound parameters a row: a
  // chunk of 500 is 2 statements instead of 92, and drizzle builds none of them. Memberships are inserted by
  // email, so that a concurrent upsert that created the same address first cannot fail the foreign key.
  const d1 = db.$client;
  const statements: D1PreparedStatement[] = [];
  for (const part of chunkByJsonBytes(rows, MAX_JSON_PARAM_BYTES)) {
    const json = JSON.stringify(part);
    statements.push(
      d1
        .prepare(
          `insert into subscribers (id, workspace_id, email, name, attributes, preference_token, created_at, updated_at)
           select value ->> 0, ?1, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, ?2 from json_each(?3) where true
           on conflict (workspace_id, email) do update set name = excluded.name, attributes = excluded.attributes, updated_at = excluded.updated_at`,
        )
        .bind(workspaceId, now, json),
      d1
        .prepare(
          `insert into list_memberships (workspace_id, list_id, subscriber_id, created_at)
           select ?1, ?2, s.id, ?3 from subscribers s
           where s.workspace_id = ?1 and s.email in (select value ->> 1 from json_each(?4))
           on conflict do nothing`,
        )
        .bind(workspaceId, listId, now, json),
    );
  }
  if (statements.length > 0) await d1.batch(statements);

  const byPreferences = new Map<string, { prefs: Record<string, boolean>; ids: string[] }>();
  for (const [email, { input }] of accepted) {
    if (!input.preferences || Object.keys(input.preferences).length === 0) continue;
    const key = JSON.stringify(input.preferences);
    const group = byPreferences.get(key) ?? { prefs: input.preferences, ids: [] };
    group.ids.push(idsByEmail.get(email) as string);
    byPreferences.set(key, group);
  }
  for (const { prefs, ids } of byPreferences.values()) {
    const unknown = await setPreferences(db, workspaceId, ids, prefs);
    for (const slug of unknown) {
      for (const [email, { index, input }] of accepted) {
        if (input.preferences && slug in input.preferences) outcome.errors.push({ index, email, reason: `unknown category "${slug}" ignored` });
      }
    }
  }
  outcome.errors.sort((a, b) => a.index - b.index);
  return outcome;
}
