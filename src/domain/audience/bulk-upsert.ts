import { and, eq, sql } from "drizzle-orm";
import type { Database } from "../../db/client";
import { type Subscriber, subscribers } from "../../db/schema";
import { randomBase62 } from "../../lib/crypto";
import { newId } from "../../lib/ids";
import { normalizeEmail } from "./emails";
import { duplicateOf, suppressionReason } from "./row-outcomes";
import { setPreferences } from "./subscribers";
import { suppressionsFor } from "./suppressions";

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

export interface RowReport {
  index: number;
  email: string | null;
  /** A code, then `: ` and details when there are any. */
  reason: string;
}

/**
 * Every row lands in exactly one of created, updated, skipped and invalid, so the four add up to the rows sent.
 * `errors` lists the invalid rows and `skipped_rows` the skipped ones; `warnings` are about rows that were
 * imported (created or updated) with something left out.
 */
export interface UpsertOutcome {
  created: number;
  updated: number;
  skipped: number;
  invalid: number;
  errors: RowReport[];
  skipped_rows: RowReport[];
  warnings: RowReport[];
}

/**
 * Adds subscribers to a list, creating or updating them by email. Invalid rows are reported; repeats of an
 * address earlier in the request and suppressed or erased addresses are skipped with their reason, never
 * re-added. An existing subscriber's status is left alone: adding an unsubscribed address to a list does not
 * resubscribe it.
 */
export async function upsertSubscribers(
  db: Database,
  workspaceId: string,
  listId: string,
  inputs: readonly SubscriberInput[],
): Promise<UpsertOutcome> {
  const outcome: UpsertOutcome = { created: 0, updated: 0, skipped: 0, invalid: 0, errors: [], skipped_rows: [], warnings: [] };
  const accepted = new Map<string, { index: number; input: SubscriberInput }>();
  inputs.forEach((input, index) => {
    const email = normalizeEmail(input.email);
    const shown = typeof input.email === "string" ? input.email : null;
    const first = email === null ? undefined : accepted.get(email);
    if (!email) outcome.errors.push({ index, email: shown, reason: "invalid_email" });
    else if (first) outcome.skipped_rows.push({ index, email, reason: duplicateOf(first.index) });
    else accepted.set(email, { index, input });
  });

  const suppressed = await suppressionsFor(db, workspaceId, [...accepted.keys()]);
  for (const [email, { index }] of accepted) {
    const hit = suppressed.get(email);
    if (!hit) continue;
    accepted.delete(email);
    outcome.skipped_rows.push({ index, email, reason: suppressionReason(hit.reason) });
  }

  const existing = new Map<string, Subscriber>();
  if (accepted.size > 0) {
    const rows = await db
      .select()
      .from(subscribers)
      .where(
        and(
          eq(subscribers.workspace_id, workspaceId),
          sql`${subscribers.email} in (select value from json_each(${JSON.stringify([...accepted.keys()])}))`,
        ),
      );
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

  const byPreferences = new Map<string, { prefs: Record<string, boolean>; ids: string[]; rows: { index: number; email: string }[] }>();
  for (const [email, { index, input }] of accepted) {
    if (!input.preferences || Object.keys(input.preferences).length === 0) continue;
    const key = JSON.stringify(input.preferences);
    const group = byPreferences.get(key) ?? { prefs: input.preferences, ids: [], rows: [] };
    group.ids.push(idsByEmail.get(email) as string);
    group.rows.push({ index, email });
    byPreferences.set(key, group);
  }
  for (const { prefs, ids, rows: members } of byPreferences.values()) {
    const unknown = await setPreferences(db, workspaceId, ids, prefs);
    for (const slug of unknown) {
      for (const { index, email } of members)
        outcome.warnings.push({ index, email, reason: `unknown_category: "${slug}" does not exist and was ignored` });
    }
  }
  outcome.skipped = outcome.skipped_rows.length;
  outcome.invalid = outcome.errors.length;
  for (const list of [outcome.errors, outcome.skipped_rows, outcome.warnings]) list.sort((a, b) => a.index - b.index);
  return outcome;
}
