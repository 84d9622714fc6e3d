/**
 * What a provider's report does to the person behind a recipient (docs/event-cascade.md):
 * - hard bounce: subscriber `bounced` (UnsubscribeSource `bounce`) and the address suppressed (reason `bounced`);
 * - soft bounce (or an undetermined one): the same, but only once the address soft-bounced SOFT_BOUNCE_LIMIT
 *   times within SOFT_BOUNCE_WINDOW_DAYS, counted in provider_event_logs over every send to the subscriber;
 * - complaint: subscriber `complained` (source `complaint`) and the address suppressed (reason `complained`);
 * - unsubscribe reported by the provider (its list-unsubscribe handling): subscriber `unsubscribed` with source
 *   `link`, as the one-click unsubscribe of the preference center; an address without a subscriber is suppressed
 *   (reason `unsubscribed`) instead, since it has no status to carry it.
 * Each status change writes one subscription_changes row, only when the status really changed.
 */
import { and, eq, inArray, type SQL, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Database } from "../../db/client";
import { subscribers, subscriptionChanges, suppressions, workspaces } from "../../db/schema";
import type { subscriberStatuses, suppressionReasons, unsubscribeSources } from "../../db/schema/enums";
import { newId } from "../../lib/ids";
import { emailHash } from "../audience/suppressions";
import type { ProviderEvent } from "./event-messages";

export const SOFT_BOUNCE_LIMIT = 3;
export const SOFT_BOUNCE_WINDOW_DAYS = 7;

export interface SubscriberEffect {
  kind: "hard_bounce" | "soft_bounce" | "complaint" | "unsubscribe";
  recipient: { id: string; workspace_id: string; campaign_id: string; subscriber_id: string | null; email: string };
  event: ProviderEvent;
}

type SubscriberStatus = (typeof subscriberStatuses)[number];

interface Rule {
  status: SubscriberStatus;
  from: SubscriberStatus[];
  timeColumn: "bounced_at" | "complained_at" | "unsubscribed_at";
  source: (typeof unsubscribeSources)[number];
  suppression: (typeof suppressionReasons)[number] | null;
}

const RULES: Record<SubscriberEffect["kind"], Rule> = {
  hard_bounce: { status: "bounced", from: ["active", "unsubscribed"], timeColumn: "bounced_at", source: "bounce", suppression: "bounced" },
  soft_bounce: { status: "bounced", from: ["active", "unsubscribed"], timeColumn: "bounced_at", source: "bounce", suppression: "bounced" },
  complaint: {
    status: "complained",
    from: ["active", "unsubscribed", "bounced"],
    timeColumn: "complained_at",
    source: "complaint",
    suppression: "complained",
  },
  unsubscribe: { status: "unsubscribed", from: ["active"], timeColumn: "unsubscribed_at", source: "link", suppression: null },
};

/** True once the recipient's person soft-bounced often enough lately (the events of this batch are already logged). */
function softBouncesReached(effect: SubscriberEffect, now: Date): SQL {
  const since = new Date(now.getTime() - SOFT_BOUNCE_WINDOW_DAYS * 86_400_000).toISOString();
  const { recipient } = effect;
  const sends = recipient.subscriber_id
    ? sql`(select id from campaign_recipients where workspace_id = ${recipient.workspace_id} and subscriber_id = ${recipient.subscriber_id})`
    : sql`(${recipient.id})`;
  return sql`(select count(*) from provider_event_logs where recipient_id in ${sends} and event_type = 'bounce'
    and bounce_type in ('soft_bounce', 'undetermined') and occurred_at >= ${since}) >= ${SOFT_BOUNCE_LIMIT}`;
}

export async function subscriberEffectStatements(
  db: Database,
  effects: readonly SubscriberEffect[],
  now: Date,
): Promise<BatchItem<"sqlite">[]> {
  const at = now.toISOString();
  const statements: BatchItem<"sqlite">[] = [];
  const seen = new Set<string>();
  for (const effect of effects) {
    const { recipient, event } = effect;
    const key = `${effect.kind}\u0000${recipient.workspace_id}\u0000${recipient.email}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const rule = RULES[effect.kind];
    const when = effect.kind === "soft_bounce" ? softBouncesReached(effect, now) : sql`1`;
    const details = JSON.stringify({
      method: "provider",
      provider_type: event.provider_type,
      provider_event_id: event.provider_event_id,
      ...(event.bounce_type ? { bounce_type: event.bounce_type } : {}),
      ...(event.reason ? { reason: event.reason } : {}),
    });
    if (recipient.subscriber_id) {
      const thisSubscriber = and(eq(subscribers.workspace_id, recipient.workspace_id), eq(subscribers.id, recipient.subscriber_id));
      statements.push(
        db
          .update(subscribers)
          .set({
            status: rule.status,
            [rule.timeColumn]: sql`coalesce(${sql.identifier(rule.timeColumn)}, ${event.occurred_at})`,
            unsubscribe_source: rule.source,
            updated_at: at,
          })
          .where(and(thisSubscriber, inArray(subscribers.status, rule.from), when)),
        db.insert(subscriptionChanges).select(
          db
            .select({
              id: sql<string>`${newId("sch", now.getTime())}`.as("id"),
              workspace_id: subscribers.workspace_id,
              subscriber_id: subscribers.id,
              campaign_id: sql<string>`${recipient.campaign_id}`.as("campaign_id"),
              action: sql<"unsubscribed">`'unsubscribed'`.as("action"),
              source: sql<Rule["source"]>`${rule.source}`.as("source"),
              details: sql<string>`${details}`.as("details"),
              created_at: sql<string>`${at}`.as("created_at"),
            })
            .from(subscribers)
            .where(and(thisSubscriber, sql`changes() = 1`)),
        ),
      );
    }
    const suppression = rule.suppression ?? (recipient.subscriber_id ? null : "unsubscribed");
    if (suppression) {
      const note = `${event.provider_type} ${event.event_type}${event.reason ? `: ${event.reason}` : ""}`.slice(0, 500);
      statements.push(
        db
          .insert(suppressions)
          .select(
            db
              .select({
                id: sql<string>`${newId("sup", now.getTime())}`.as("id"),
                workspace_id: workspaces.id,
                email: sql<string>`${recipient.email}`.as("email"),
                domain: sql<string | null>`null`.as("domain"),
                email_hash: sql<string>`${await emailHash(recipient.email)}`.as("email_hash"),
                reason: sql<typeof suppression>`${suppression}`.as("reason"),
                source_campaign_id: sql<string>`${recipient.campaign_id}`.as("source_campaign_id"),
                note: sql<string>`${note}`.as("note"),
                created_at: sql<string>`${at}`.as("created_at"),
              })
              .from(workspaces)
              .where(and(eq(workspaces.id, recipient.workspace_id), when)),
          )
          .onConflictDoNothing(),
      );
    }
  }
  return statements;
}
