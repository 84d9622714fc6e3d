/**
 * The public preference center: what a token holder may see and change. No HTTP here; the routes in
 * src/routes/preferences negotiate HTML or JSON and call these functions.
 *
 * Unsubscribe sources (UnsubscribeSource), decided here once:
 * - `link`: the RFC 8058 one-click POST (body `List-Unsubscribe=One-Click`), which a mailbox provider sends when
 *   the reader presses its Unsubscribe button, i.e. the email's own unsubscribe link.
 * - `preference_center`: every other unsubscribe through these endpoints, above all the page's
 *   "Unsubscribe from all" button, and every resubscribe and preference change made here.
 * The campaign whose email carried the token is not a source: it is kept in subscription_changes.campaign_id,
 * whichever way the reader unsubscribed, so retention analytics can attribute it.
 */
import { and, eq, sql } from "drizzle-orm";
import type { Database } from "../../db/client";
import {
  type Subscriber,
  subscriberCategoryPreferences,
  subscribers,
  subscriptionChanges,
  type Workspace,
  workspaces,
} from "../../db/schema";
import type { subscriptionFrequencies } from "../../db/schema/enums";
import { chunk, rowsPerInsert } from "../../lib/chunk";
import { secretsEqual } from "../../lib/crypto";
import { newId } from "../../lib/ids";
import { listCategories } from "../audience/categories";
import { suppressionsFor } from "../audience/suppressions";
import { conflict, invalidField } from "../errors";
import { type SigningKeys, verifyPreferenceToken } from "./tokens";

export type Frequency = (typeof subscriptionFrequencies)[number];
export type PreferenceSource = "link" | "preference_center";

/** Who a valid token speaks for. */
export interface PreferenceContext {
  workspace: Workspace;
  subscriber: Subscriber;
  campaignId: string | null;
}

export interface CategoryPreference {
  slug: string;
  name: string;
  description: string | null;
  subscribed: boolean;
}

export interface PreferenceState {
  workspace_name: string;
  /** Masked: a forwarded email must not hand the address to whoever opens the link. */
  email: string;
  status: Subscriber["status"];
  frequency: Frequency;
  categories: CategoryPreference[];
  /** The sender's postal address, shown in the page footer when the workspace has one. */
  postal_address: string | null;
}

/**
 * The subscriber a token names, or null when the token is not valid, the subscriber is gone, or its
 * preference_token was rotated since the token was issued. Callers answer every null the same way.
 */
export async function openPreferences(db: Database, keys: SigningKeys, token: string): Promise<PreferenceContext | null> {
  const claims = await verifyPreferenceToken(keys, token);
  if (!claims) return null;
  const row = await db
    .select({ subscriber: subscribers, workspace: workspaces })
    .from(subscribers)
    .innerJoin(workspaces, eq(workspaces.id, subscribers.workspace_id))
    .where(and(eq(subscribers.workspace_id, claims.workspaceId), eq(subscribers.id, claims.subscriberId)))
    .get();
  if (!row || !(await secretsEqual(row.subscriber.preference_token, claims.preferenceToken))) return null;
  return { ...row, campaignId: claims.campaignId };
}

/** `jane.doe@example.com` → `j•••e@example.com`; the domain stays readable so people recognise the address. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf("@");
  if (at < 1) return "•••";
  const local = email.slice(0, at);
  const shown = local.length <= 2 ? `${local[0]}•••` : `${local[0]}•••${local[local.length - 1]}`;
  return `${shown}${email.slice(at)}`;
}

async function categoryPreferences(db: Database, ctx: PreferenceContext): Promise<CategoryPreference[]> {
  const [cats, optOuts] = await Promise.all([
    listCategories(db, ctx.workspace.id),
    db
      .select({ category_id: subscriberCategoryPreferences.category_id, subscribed: subscriberCategoryPreferences.subscribed })
      .from(subscriberCategoryPreferences)
      .where(
        and(
          eq(subscriberCategoryPreferences.workspace_id, ctx.workspace.id),
          eq(subscriberCategoryPreferences.subscriber_id, ctx.subscriber.id),
        ),
      ),
  ]);
  const subscribed = new Map(optOuts.map((row) => [row.category_id, row.subscribed]));
  return cats.map((c) => ({ slug: c.slug, name: c.name, description: c.description, subscribed: subscribed.get(c.id) ?? true }));
}

export async function preferenceState(db: Database, ctx: PreferenceContext): Promise<PreferenceState> {
  return {
    workspace_name: ctx.workspace.name,
    email: maskEmail(ctx.subscriber.email),
    status: ctx.subscriber.status,
    frequency: ctx.subscriber.frequency,
    categories: await categoryPreferences(db, ctx),
    postal_address: ctx.workspace.postal_address,
  };
}

async function reload(db: Database, ctx: PreferenceContext): Promise<PreferenceContext> {
  const subscriber = await db.select().from(subscribers).where(eq(subscribers.id, ctx.subscriber.id)).get();
  return subscriber ? { ...ctx, subscriber } : ctx;
}

export interface PreferenceChanges {
  /** Subscribed (true) or opted out (false), by category slug; categories left out keep their setting. */
  categories?: Record<string, boolean>;
  frequency?: Frequency;
  /** What to do with slugs the workspace does not have: refuse (422, for API clients) or skip (a stale form). */
  unknownCategories?: "reject" | "ignore";
}

/**
 * Applies category and frequency changes. The subscriber's status is left alone: saving preferences never
 * resubscribes. A change is recorded as one `preferences_updated` row (source `preference_center`) holding what
 * changed; a save that changes nothing writes nothing.
 */
export async function savePreferences(db: Database, ctx: PreferenceContext, changes: PreferenceChanges): Promise<PreferenceContext> {
  const requested = changes.categories ?? {};
  const cats = await listCategories(db, ctx.workspace.id);
  const known = new Set(cats.map((c) => c.slug));
  const unknown = Object.keys(requested).filter((slug) => !known.has(slug));
  if (unknown.length > 0 && changes.unknownCategories !== "ignore") {
    throw invalidField("body", `categories.${unknown[0]}`, `Unknown category "${unknown[0]}"`);
  }

  const current = new Map((await categoryPreferences(db, ctx)).map((c) => [c.slug, c.subscribed]));
  const changedCategories = cats.filter((c) => Object.hasOwn(requested, c.slug) && current.get(c.slug) !== requested[c.slug]);
  const frequencyChanged = changes.frequency !== undefined && changes.frequency !== ctx.subscriber.frequency;
  if (changedCategories.length === 0 && !frequencyChanged) return ctx;

  const now = new Date().toISOString();
  const details: Record<string, unknown> = {};
  const statements = [];
  if (changedCategories.length > 0) {
    details.categories = Object.fromEntries(changedCategories.map((c) => [c.slug, requested[c.slug]]));
    const rows = changedCategories.map((c) => ({
      workspace_id: ctx.workspace.id,
      subscriber_id: ctx.subscriber.id,
      category_id: c.id,
      subscribed: requested[c.slug],
      updated_at: now,
    }));
    for (const part of chunk(rows, rowsPerInsert(5))) {
      statements.push(
        db
          .insert(subscriberCategoryPreferences)
          .values(part)
          .onConflictDoUpdate({
            target: [subscriberCategoryPreferences.subscriber_id, subscriberCategoryPreferences.category_id],
            set: { subscribed: sql`excluded.subscribed`, updated_at: sql`excluded.updated_at` },
          }),
      );
    }
  }
  if (frequencyChanged) {
    details.frequency = { from: ctx.subscriber.frequency, to: changes.frequency };
    statements.push(
      db
        .update(subscribers)
        .set({ frequency: changes.frequency, updated_at: now })
        .where(and(eq(subscribers.workspace_id, ctx.workspace.id), eq(subscribers.id, ctx.subscriber.id))),
    );
  }
  await db.batch([
    db.insert(subscriptionChanges).values({
      id: newId("sch"),
      workspace_id: ctx.workspace.id,
      subscriber_id: ctx.subscriber.id,
      campaign_id: ctx.campaignId,
      action: "preferences_updated",
      source: "preference_center",
      details,
      created_at: now,
    }),
    ...statements,
  ]);
  return reload(db, ctx);
}

/**
 * Moves the subscriber from `from` to `to` and records the change, in one batch. The UPDATE is conditional on
 * the current status and the audit row is written only if that UPDATE changed a row (SQLite's changes(), which
 * within a D1 batch refers to the statement before), so concurrent or repeated requests record one change.
 */
async function transition(
  db: Database,
  ctx: PreferenceContext,
  change: {
    from: Subscriber["status"];
    set: Partial<Subscriber>;
    action: "unsubscribed" | "resubscribed";
    source: PreferenceSource;
    details: object;
  },
): Promise<boolean> {
  const now = new Date().toISOString();
  const [updated] = await db.batch([
    db
      .update(subscribers)
      .set({ ...change.set, updated_at: now })
      .where(
        and(eq(subscribers.workspace_id, ctx.workspace.id), eq(subscribers.id, ctx.subscriber.id), eq(subscribers.status, change.from)),
      ),
    db.insert(subscriptionChanges).select(
      db
        .select({
          id: sql<string>`${newId("sch")}`.as("id"),
          workspace_id: subscribers.workspace_id,
          subscriber_id: subscribers.id,
          campaign_id: sql<string | null>`${ctx.campaignId}`.as("campaign_id"),
          action: sql<typeof change.action>`${change.action}`.as("action"),
          source: sql<PreferenceSource>`${change.source}`.as("source"),
          details: sql<string>`${JSON.stringify(change.details)}`.as("details"),
          created_at: sql<string>`${now}`.as("created_at"),
        })
        .from(subscribers)
        .where(and(eq(subscribers.id, ctx.subscriber.id), sql`changes() = 1`)),
    ),
  ]);
  return updated.meta.changes === 1;
}

/**
 * Unsubscribes from all mail at once. Idempotent: an unsubscribed subscriber keeps the first unsubscribed_at and
 * source; bounced and complained subscribers already receive nothing and stay as they are.
 */
export async function unsubscribeAll(
  db: Database,
  ctx: PreferenceContext,
  source: PreferenceSource,
): Promise<{ context: PreferenceContext; changed: boolean }> {
  const now = new Date().toISOString();
  const changed = await transition(db, ctx, {
    from: "active",
    set: { status: "unsubscribed", unsubscribed_at: now, unsubscribe_source: source },
    action: "unsubscribed",
    source,
    details: { method: source === "link" ? "one_click" : "preference_center" },
  });
  return { context: await reload(db, ctx), changed };
}

/**
 * Resubscribes an unsubscribed subscriber (source `preference_center`); an active one stays as it is. Bounced and
 * complained addresses cannot come back this way: those states come from the mailbox provider (409); nor can a
 * suppressed address or one in a suppressed domain, since the workspace blocked it (409).
 */
export async function resubscribe(db: Database, ctx: PreferenceContext): Promise<{ context: PreferenceContext; changed: boolean }> {
  if (ctx.subscriber.status === "bounced" || ctx.subscriber.status === "complained") {
    throw conflict(`A ${ctx.subscriber.status} address cannot be resubscribed from the preference center`);
  }
  if (ctx.subscriber.status === "unsubscribed" && (await suppressionsFor(db, ctx.workspace.id, [ctx.subscriber.email])).size > 0) {
    throw conflict("This address is blocked by the sender and cannot be resubscribed from the preference center");
  }
  const changed = await transition(db, ctx, {
    from: "unsubscribed",
    set: { status: "active", unsubscribed_at: null, unsubscribe_source: null },
    action: "resubscribed",
    source: "preference_center",
    details: {},
  });
  return { context: await reload(db, ctx), changed };
}
