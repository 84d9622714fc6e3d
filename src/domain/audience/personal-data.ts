import { and, eq, inArray, or, sql } from "drizzle-orm";
import type { Database } from "../../db/client";
import {
  campaignRecipients,
  deadLetters,
  listImportErrors,
  listMemberships,
  providerEventLogs,
  subscriberLists,
  subscribers,
  subscriptionChanges,
  suppressions,
  trackingEvents,
  userOnboardingProgress,
} from "../../db/schema";
import { newId } from "../../lib/ids";
import { getSubscriber } from "./subscribers";
import { emailHash } from "./suppressions";

/** GDPR access: everything Flarecast holds about one subscriber, as one JSON document. */
export async function exportSubscriberData(db: Database, workspaceId: string, id: string) {
  const subscriber = await getSubscriber(db, workspaceId, id);
  const [lists, changes, sends, events, blocks] = await Promise.all([
    db
      .select({ id: subscriberLists.id, name: subscriberLists.name, joined_at: listMemberships.created_at })
      .from(listMemberships)
      .innerJoin(subscriberLists, eq(subscriberLists.id, listMemberships.list_id))
      .where(eq(listMemberships.subscriber_id, id)),
    db.select().from(subscriptionChanges).where(eq(subscriptionChanges.subscriber_id, id)),
    db
      .select()
      .from(campaignRecipients)
      .where(
        and(
          eq(campaignRecipients.workspace_id, workspaceId),
          or(eq(campaignRecipients.subscriber_id, id), eq(campaignRecipients.email, subscriber.email)),
        ),
      ),
    db
      .select()
      .from(trackingEvents)
      .where(and(eq(trackingEvents.workspace_id, workspaceId), eq(trackingEvents.subscriber_id, id))),
    db
      .select()
      .from(suppressions)
      .where(and(eq(suppressions.workspace_id, workspaceId), eq(suppressions.email, subscriber.email))),
  ]);
  const { workspace_id: _w, preference_token: _t, ...profile } = subscriber;
  return {
    exported_at: new Date().toISOString(),
    subscriber: profile,
    lists,
    subscription_changes: changes.map(({ workspace_id: _, ...c }) => c),
    sends: sends.map(({ workspace_id: _, ...s }) => s),
    events: events.map(({ workspace_id: _, ...e }) => e),
    suppressions: blocks.map(({ workspace_id: _, email_hash: __, ...b }) => b),
  };
}

/**
 * GDPR erasure: removes the subscriber and every copy of their address, name and personalization from every
 * table of the workspace, in one transaction. What remains is anonymous: send and event rows keep their
 * counts for campaign statistics, and a suppression holding only a hash of the address makes sure no later
 * import or upsert brings the person back.
 */
export async function eraseSubscriber(db: Database, workspaceId: string, id: string): Promise<void> {
  const subscriber = await getSubscriber(db, workspaceId, id);
  const { email } = subscriber;
  const contains = (column: Parameters<typeof sql>[1]) => sql`instr(lower(${column}), ${email}) > 0`;
  const theirRecipients = and(
    eq(campaignRecipients.workspace_id, workspaceId),
    or(eq(campaignRecipients.subscriber_id, id), eq(campaignRecipients.email, email)),
  );

  await db.batch([
    // Before the recipient rows lose the address, which is how their events are found.
    db
      .update(trackingEvents)
      .set({ subscriber_id: null, user_agent: null, ip_country: null })
      .where(
        and(
          eq(trackingEvents.workspace_id, workspaceId),
          or(
            eq(trackingEvents.subscriber_id, id),
            inArray(trackingEvents.recipient_id, db.select({ id: campaignRecipients.id }).from(campaignRecipients).where(theirRecipients)),
          ),
        ),
      ),
    db
      .insert(suppressions)
      .values({ id: newId("sup"), workspace_id: workspaceId, email_hash: await emailHash(email), reason: "erased" })
      .onConflictDoUpdate({
        target: [suppressions.workspace_id, suppressions.email_hash],
        set: { reason: "erased", email: null, note: null },
      }),
    db.delete(suppressions).where(and(eq(suppressions.workspace_id, workspaceId), eq(suppressions.email, email))),
    db
      .update(campaignRecipients)
      .set({
        email: sql`'erased-' || ${campaignRecipients.id} || '@erased.invalid'`,
        recipient_name: null,
        context: {},
        subscriber_id: null,
      })
      .where(theirRecipients),
    db
      .update(providerEventLogs)
      .set({ recipient_email: null, payload: { erased: true } })
      .where(
        and(
          eq(providerEventLogs.workspace_id, workspaceId),
          or(eq(providerEventLogs.recipient_email, email), contains(providerEventLogs.payload)),
        ),
      ),
    db
      .update(deadLetters)
      .set({ body: { erased: true } })
      .where(and(eq(deadLetters.workspace_id, workspaceId), contains(deadLetters.body))),
    db.delete(listImportErrors).where(and(eq(listImportErrors.workspace_id, workspaceId), contains(listImportErrors.value))),
    db
      .delete(userOnboardingProgress)
      .where(and(eq(userOnboardingProgress.workspace_id, workspaceId), eq(userOnboardingProgress.subscriber_id, id))),
    db.delete(subscribers).where(and(eq(subscribers.workspace_id, workspaceId), eq(subscribers.id, id))),
  ]);
}
