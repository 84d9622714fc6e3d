import { and, eq, gte, inArray, ne, sql } from "drizzle-orm";
import type { Database } from "../../db/client";
import { campaignRecipients, categories, type Subscriber, type Suppression, subscriberCategoryPreferences } from "../../db/schema";
import { inJsonList } from "../../lib/sql-lists";
import { suppressionsFor } from "../audience/suppressions";

/** Why a recipient is not sent to. The campaign engine records it on the recipient row, marked failed. */
export const skipReasons = [
  "unsubscribed",
  "bounced",
  "complained",
  "category_opt_out",
  "suppression_list",
  "cross_campaign_bounce",
  "cross_campaign_complaint",
  "frequency_cap",
] as const;
export type SkipReason = (typeof skipReasons)[number];

export type DeliveryDecision = { send: true } | { send: false; reason: SkipReason; detail?: string };

export interface CampaignForDecision {
  id: string;
  workspace_id: string;
  /** The preference category the campaign is sent under; null for mail no one can opt out of by category. */
  category_slug: string | null;
}

const FREQUENCY_WINDOW_DAYS: Record<Subscriber["frequency"], number> = { immediate: 0, daily: 1, weekly: 7, monthly: 30 };
const DELIVERED_STATUSES = ["sent", "delivered", "opened", "clicked"] as const;

/** What a recipient's failure_detail says about the suppression that stopped it. */
export const suppressionDetail = (hit: Suppression) => (hit.domain ? `domain ${hit.domain}` : hit.reason);

/**
 * The one place that decides, for a campaign and each of a page of its subscribers, whether to send and, if
 * not, why. Checks run in order of the strongest reason: the subscriber's own status, the workspace's
 * blocklist, the campaign category, then what other campaigns of this workspace learned (never another
 * workspace's: suppression does not cross workspaces), then the subscriber's frequency.
 */
export async function decideDeliveries(
  db: Database,
  campaign: CampaignForDecision,
  page: readonly Subscriber[],
  now: Date,
): Promise<Map<string, DeliveryDecision>> {
  const decisions = new Map<string, DeliveryDecision>();
  const skip = (s: Subscriber, reason: SkipReason, detail?: string) => decisions.set(s.id, { send: false, reason, detail });
  const pending = () => page.filter((s) => !decisions.has(s.id));

  for (const s of page) {
    if (s.status !== "active") skip(s, s.status);
  }

  const blocked = await suppressionsFor(
    db,
    campaign.workspace_id,
    pending().map((s) => s.email),
  );
  for (const s of pending()) {
    const hit = blocked.get(s.email);
    if (hit) skip(s, "suppression_list", suppressionDetail(hit));
  }

  if (campaign.category_slug) {
    const category = await db
      .select({ id: categories.id })
      .from(categories)
      .where(and(eq(categories.workspace_id, campaign.workspace_id), eq(categories.slug, campaign.category_slug)))
      .get();
    if (category) {
      const optedOut = await db
        .select({ subscriber_id: subscriberCategoryPreferences.subscriber_id })
        .from(subscriberCategoryPreferences)
        .where(
          and(
            eq(subscriberCategoryPreferences.category_id, category.id),
            eq(subscriberCategoryPreferences.subscribed, false),
            inJsonList(
              subscriberCategoryPreferences.subscriber_id,
              pending().map((s) => s.id),
            ),
          ),
        );
      const ids = new Set(optedOut.map((r) => r.subscriber_id));
      for (const s of pending()) if (ids.has(s.id)) skip(s, "category_opt_out", campaign.category_slug);
    }
  }

  const outcomes = await crossCampaignOutcomes(
    db,
    campaign,
    pending().map((s) => s.email),
  );
  const complaints = new Map(outcomes.filter((o) => o.status === "complained").map((o) => [o.email, o.campaign_id]));
  const bounces = new Map(outcomes.filter((o) => o.status === "bounced").map((o) => [o.email, o.campaign_id]));
  for (const s of pending()) {
    const complaint = complaints.get(s.email);
    const bounce = bounces.get(s.email);
    if (complaint) skip(s, "cross_campaign_complaint", `campaign ${complaint}`);
    else if (bounce) skip(s, "cross_campaign_bounce", `campaign ${bounce}`);
  }

  const capped = pending().filter((s) => FREQUENCY_WINDOW_DAYS[s.frequency] > 0);
  if (capped.length > 0) {
    const longest = Math.max(...capped.map((s) => FREQUENCY_WINDOW_DAYS[s.frequency]));
    const since = new Date(now.getTime() - longest * 86_400_000).toISOString();
    const recent = await db
      .select({ subscriber_id: campaignRecipients.subscriber_id, sent_at: campaignRecipients.sent_at })
      .from(campaignRecipients)
      .where(
        and(
          eq(campaignRecipients.workspace_id, campaign.workspace_id),
          ne(campaignRecipients.campaign_id, campaign.id),
          inArray(campaignRecipients.status, [...DELIVERED_STATUSES]),
          gte(campaignRecipients.sent_at, since),
          inJsonList(
            campaignRecipients.subscriber_id,
            capped.map((s) => s.id),
          ),
        ),
      );
    const lastSent = new Map<string, string>();
    for (const r of recent) {
      if (r.subscriber_id && r.sent_at && r.sent_at > (lastSent.get(r.subscriber_id) ?? "")) lastSent.set(r.subscriber_id, r.sent_at);
    }
    for (const s of capped) {
      const windowStart = new Date(now.getTime() - FREQUENCY_WINDOW_DAYS[s.frequency] * 86_400_000).toISOString();
      const last = lastSent.get(s.id);
      if (last && last >= windowStart) skip(s, "frequency_cap", `${s.frequency}: last sent ${last}`);
    }
  }

  for (const s of pending()) decisions.set(s.id, { send: true });
  return decisions;
}

/** Other campaigns' bounces and complaints of these addresses in the campaign's workspace. */
export function crossCampaignOutcomes(db: Database, campaign: CampaignForDecision, emails: string[]) {
  return db
    .select({ email: campaignRecipients.email, status: campaignRecipients.status, campaign_id: campaignRecipients.campaign_id })
    .from(campaignRecipients)
    .where(
      and(
        eq(campaignRecipients.workspace_id, campaign.workspace_id),
        ne(campaignRecipients.campaign_id, campaign.id),
        // Literal, not bound: only then can SQLite see that the partial index of bounces and complaints applies.
        sql`${campaignRecipients.status} in ('bounced', 'complained')`,
        inJsonList(campaignRecipients.email, emails),
      ),
    );
}

/** The decision for one subscriber: the same rules as a page of one. */
export async function decideDelivery(db: Database, campaign: CampaignForDecision, subscriber: Subscriber, now: Date) {
  return (await decideDeliveries(db, campaign, [subscriber], now)).get(subscriber.id) as DeliveryDecision;
}
