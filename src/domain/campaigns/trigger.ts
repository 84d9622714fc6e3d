import { and, eq, sql } from "drizzle-orm";
import type { Database } from "../../db/client";
import {
  type CampaignRecipient,
  campaignRecipients,
  campaignTriggerKeys,
  type EmailCampaign,
  emailCampaigns,
  type Subscriber,
  type Suppression,
  subscribers,
} from "../../db/schema";
import { sha256Hex } from "../../lib/crypto";
import { newId } from "../../lib/ids";
import { normalizeEmail } from "../audience/emails";
import { createSubscriber } from "../audience/subscribers";
import { suppressionsFor } from "../audience/suppressions";
import { conflict, invalidField, notFound } from "../errors";
import { getCampaign } from "./campaigns";
import { type DeliveryDeps, deliverBatch } from "./deliver";
import { type DeliveryDecision, decideDelivery, suppressionDetail } from "./delivery-decision";
import type { SendEmailMessage } from "./send-message";

export interface TriggerInput {
  subscriber_id?: string;
  email?: string;
  name?: string | null;
  /** Per-send values: they override the campaign's template_context and the subscriber's attributes. */
  context?: Record<string, unknown>;
}

export interface TriggerDeps extends DeliveryDeps {
  /** Puts sends on the send queue: to try again later, or queued deliveries (delay 0). */
  enqueueSends(messages: SendEmailMessage[], delaySeconds: number): Promise<void>;
}

/**
 * `inline`: the message is sent before triggerSend returns, so the caller sees its outcome (the send API).
 * `queued`: it goes on the send queue, whose consumer sends many at once with one routing load per batch; for callers
 * that send many and need only the decision (automation rules).
 */
export type TriggerDelivery = "inline" | "queued";

export interface TriggerResult {
  recipient: CampaignRecipient;
  /** True when an earlier request with the same Idempotency-Key made this recipient. */
  replayed: boolean;
}

/** Longest Idempotency-Key kept; keys are opaque to us (clients often use UUIDs). */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

/** Whom a trigger is for: a subscriber, or an address on the blocklist that is recorded but never subscribed. */
type TriggerTarget = { subscriber: Subscriber } | { email: string; suppression: Suppression };

async function targetFor(deps: DeliveryDeps, workspaceId: string, input: TriggerInput): Promise<TriggerTarget> {
  const { db } = deps;
  if (input.subscriber_id) {
    const found = await db
      .select()
      .from(subscribers)
      .where(and(eq(subscribers.workspace_id, workspaceId), eq(subscribers.id, input.subscriber_id)))
      .get();
    if (!found) throw invalidField("body", "subscriber_id", "No such subscriber in this workspace");
    return { subscriber: found };
  }
  const email = normalizeEmail(input.email);
  if (!email) throw invalidField("body", "email", "must be an email address");
  const byEmail = () =>
    db
      .select()
      .from(subscribers)
      .where(and(eq(subscribers.workspace_id, workspaceId), eq(subscribers.email, email)))
      .get();
  const existing = await byEmail();
  if (existing) return { subscriber: existing };
  // A blocked address is never subscribed, but the send is still answered and recorded as a skipped recipient.
  const suppression = (await suppressionsFor(db, workspaceId, [email])).get(email);
  if (suppression) return { email, suppression };
  try {
    await createSubscriber(db, workspaceId, { email, name: input.name ?? null });
  } catch (error) {
    // Another request created the same address a moment ago: use theirs.
    const raced = await byEmail();
    if (raced) return { subscriber: raced };
    throw error;
  }
  return { subscriber: (await byEmail()) as Subscriber };
}

async function replay(deps: DeliveryDeps, campaignId: string, key: string, requestHash: string): Promise<TriggerResult | null> {
  const previous = await deps.db
    .select()
    .from(campaignTriggerKeys)
    .where(and(eq(campaignTriggerKeys.campaign_id, campaignId), eq(campaignTriggerKeys.idempotency_key, key)))
    .get();
  if (!previous) return null;
  if (previous.request_hash !== requestHash) {
    throw invalidField("header", "idempotency-key", "was already used with a different request body for this campaign");
  }
  const recipient = await deps.db.select().from(campaignRecipients).where(eq(campaignRecipients.id, previous.recipient_id)).get();
  if (!recipient) throw notFound("Recipient of the earlier request");
  return { recipient, replayed: true };
}

/** The campaign, if it can be triggered now; a conflict saying why not otherwise. */
export async function triggerableCampaign(db: Database, workspaceId: string, campaignId: string): Promise<EmailCampaign> {
  const campaign = await getCampaign(db, workspaceId, campaignId);
  if (campaign.campaign_type !== "triggered") {
    throw conflict(`Only triggered campaigns can be triggered; this campaign is ${campaign.campaign_type}`);
  }
  if (campaign.status === "paused" || campaign.status === "cancelled") {
    throw conflict(
      `The campaign is ${campaign.status}; ${campaign.status === "paused" ? "resume it" : "a cancelled campaign sends nothing"}`,
    );
  }
  if (!campaign.template_id) throw conflict("The campaign has no template to send; set template_id first");
  return campaign;
}

/** What an Idempotency-Key is bound to: a repeat with the same key must be the same request. */
export const requestHashOf = (input: TriggerInput) =>
  sha256Hex(JSON.stringify([input.subscriber_id ?? null, input.email ?? null, input.name ?? null, input.context ?? {}]));

export const sendEmailMessage = (campaign: Pick<EmailCampaign, "id" | "workspace_id">, recipientId: string): SendEmailMessage => ({
  kind: "send_email",
  workspace_id: campaign.workspace_id,
  campaign_id: campaign.id,
  recipient_id: recipientId,
});

/**
 * Sends one message of a triggered campaign now: the transactional send API, and what automation calls. The
 * recipient is recorded like any other (suppression, opt-outs and frequency caps apply and are recorded as the
 * reason it failed). With an Idempotency-Key, a repeat of the same request returns the first request's recipient
 * and sends nothing.
 */
export async function triggerSend(
  deps: TriggerDeps,
  workspaceId: string,
  campaignId: string,
  input: TriggerInput,
  idempotencyKey: string | null,
  now: Date,
  delivery: TriggerDelivery = "inline",
): Promise<TriggerResult> {
  const { db } = deps;
  const campaign = await triggerableCampaign(db, workspaceId, campaignId);
  const requestHash = await requestHashOf(input);
  const sendMessage = (recipientId: string) => sendEmailMessage(campaign, recipientId);
  if (idempotencyKey) {
    const previous = await replay(deps, campaign.id, idempotencyKey, requestHash);
    // Still pending: the first request stopped between recording the recipient and sending it (a crash, a lost
    // queue message). Queue it again; the send consumer claims a recipient once, so a second message sends nothing.
    if (previous?.recipient.status === "pending") await deps.enqueueSends([sendMessage(previous.recipient.id)], 0);
    if (previous) return previous;
  }

  const target = await targetFor(deps, workspaceId, input);
  const subscriber = "subscriber" in target ? target.subscriber : null;
  const decision: DeliveryDecision =
    "subscriber" in target
      ? await decideDelivery(db, campaign, target.subscriber, now)
      : { send: false, reason: "suppression_list", detail: suppressionDetail(target.suppression) };
  const recipientId = newId("rcp");
  const iso = now.toISOString();
  const insertRecipient = db.insert(campaignRecipients).values({
    id: recipientId,
    workspace_id: workspaceId,
    campaign_id: campaign.id,
    run_id: null,
    subscriber_id: subscriber?.id ?? null,
    email: "subscriber" in target ? target.subscriber.email : target.email,
    recipient_name: input.name ?? subscriber?.name ?? null,
    context: input.context ?? {},
    status: decision.send ? "pending" : "failed",
    failure_reason: decision.send ? null : decision.reason,
    failure_detail: decision.send ? null : (decision.detail ?? null),
    enqueued_at: decision.send ? iso : null,
    created_at: iso,
    updated_at: iso,
  });
  // A triggered campaign has no run to recount: its counters grow with each recipient, in the same transaction.
  const countRecipient = db
    .update(emailCampaigns)
    .set({
      total_recipients: sql`${emailCampaigns.total_recipients} + 1`,
      failed_count: sql`${emailCampaigns.failed_count} + ${decision.send ? 0 : 1}`,
    })
    .where(eq(emailCampaigns.id, campaign.id));
  try {
    if (idempotencyKey) {
      await db.batch([
        insertRecipient,
        db.insert(campaignTriggerKeys).values({
          campaign_id: campaign.id,
          idempotency_key: idempotencyKey,
          workspace_id: workspaceId,
          recipient_id: recipientId,
          request_hash: requestHash,
        }),
        countRecipient,
      ]);
    } else {
      await db.batch([insertRecipient, countRecipient]);
    }
  } catch (error) {
    // The same key arrived twice at once: the batch is one transaction, so the loser wrote nothing.
    const previous = idempotencyKey ? await replay(deps, campaign.id, idempotencyKey, requestHash) : null;
    if (previous) return previous;
    throw error;
  }

  const message = sendMessage(recipientId);
  if (decision.send && delivery === "queued") {
    await deps.enqueueSends([message], 0);
  } else if (decision.send) {
    const outcome = (await deliverBatch(deps, [recipientId], now)).get(recipientId);
    if (outcome && !outcome.ack) {
      await deps.enqueueSends([message], outcome.delaySeconds);
    }
  }
  const recipient = await db.select().from(campaignRecipients).where(eq(campaignRecipients.id, recipientId)).get();
  return { recipient: recipient as CampaignRecipient, replayed: false };
}
