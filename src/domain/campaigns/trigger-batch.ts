import { and, eq, getTableColumns, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import {
  type CampaignRecipient,
  campaignRecipients,
  campaignTriggerKeys,
  emailCampaigns,
  type Subscriber,
  type Suppression,
} from "../../db/schema";
import { chunk, rowsPerInsert } from "../../lib/chunk";
import { newId } from "../../lib/ids";
import { inJsonList } from "../../lib/sql-lists";
import { invalidField } from "../errors";
import { type DeliveryDecision, decideDeliveries, suppressionDetail } from "./delivery-decision";
import {
  requestHashOf,
  sendEmailMessage,
  type TriggerDeps,
  type TriggerInput,
  type TriggerResult,
  triggerableCampaign,
  triggerSend,
} from "./trigger";

/** One send of a batch: to a subscriber, or to an address on the blocklist that is recorded but never subscribed. */
export interface BatchedTrigger {
  target: { subscriber: Subscriber } | { email: string; name: string | null; suppression: Suppression };
  context: Record<string, unknown>;
  idempotencyKey: string;
}

export type BatchedTriggerOutcome = TriggerResult | { error: unknown };

const inputOf = (send: BatchedTrigger): TriggerInput =>
  "subscriber" in send.target
    ? { subscriber_id: send.target.subscriber.id, context: send.context }
    : { email: send.target.email, name: send.target.name, context: send.context };

// Drizzle binds a value for every column of a multi-row insert, given or not.
const RECIPIENT_COLUMNS = Object.keys(getTableColumns(campaignRecipients)).length;
const KEY_COLUMNS = Object.keys(getTableColumns(campaignTriggerKeys)).length;

/**
 * Many sends of one triggered campaign, for automation: the decisions and records of `triggerSend` (suppression,
 * opt-outs, frequency caps; an Idempotency-Key per send), with its reads and writes shared by the batch, and every
 * send put on the send queue in one go, where the consumer sends up to 100 with one routing load. A campaign that
 * cannot be triggered answers every send with the same conflict.
 *
 * When the batch's write fails (a concurrent delivery took one of the keys), nothing of it was written and each send
 * is made alone with `triggerSend`, which settles key races.
 */
export async function triggerSends(
  deps: TriggerDeps,
  workspaceId: string,
  campaignId: string,
  sends: BatchedTrigger[],
  now: Date,
): Promise<BatchedTriggerOutcome[]> {
  const { db } = deps;
  const outcomes: BatchedTriggerOutcome[] = new Array(sends.length);
  let campaign: Awaited<ReturnType<typeof triggerableCampaign>>;
  try {
    campaign = await triggerableCampaign(db, workspaceId, campaignId);
  } catch (error) {
    return sends.map(() => ({ error }));
  }
  const one = async (index: number) => {
    const send = sends[index];
    try {
      outcomes[index] = await triggerSend(deps, workspaceId, campaignId, inputOf(send), send.idempotencyKey, now, "queued");
    } catch (error) {
      outcomes[index] = { error };
    }
  };

  const all = sends.map((_, index) => index);
  const hashes = await Promise.all(sends.map((send) => requestHashOf(inputOf(send))));
  const previous = new Map<string, { request_hash: string; recipient: CampaignRecipient }>();
  const keys = sends.map((send) => send.idempotencyKey);
  for (const part of chunk(keys, 500)) {
    const rows = await db
      .select({
        request_hash: campaignTriggerKeys.request_hash,
        key: campaignTriggerKeys.idempotency_key,
        recipient: getTableColumns(campaignRecipients),
      })
      .from(campaignTriggerKeys)
      .innerJoin(campaignRecipients, eq(campaignRecipients.id, campaignTriggerKeys.recipient_id))
      .where(and(eq(campaignTriggerKeys.campaign_id, campaign.id), inJsonList(campaignTriggerKeys.idempotency_key, part)));
    for (const row of rows) previous.set(row.key, row);
  }

  const fresh: number[] = [];
  const requeue: CampaignRecipient[] = [];
  for (const index of all) {
    const earlier = previous.get(sends[index].idempotencyKey);
    if (!earlier) {
      fresh.push(index);
    } else if (earlier.request_hash !== hashes[index]) {
      outcomes[index] = {
        error: invalidField("header", "idempotency-key", "was already used with a different request body for this campaign"),
      };
    } else {
      outcomes[index] = { recipient: earlier.recipient, replayed: true };
      // The first delivery stopped between recording and queueing the send; the consumer claims a recipient once.
      if (earlier.recipient.status === "pending") requeue.push(earlier.recipient);
    }
  }

  const subscribersToDecide = fresh.flatMap((i) => {
    const { target } = sends[i];
    return "subscriber" in target ? [target.subscriber] : [];
  });
  const decisions = subscribersToDecide.length > 0 ? await decideDeliveries(db, campaign, subscribersToDecide, now) : new Map();
  const iso = now.toISOString();
  const recipients = fresh.map((index) => {
    const { target, context } = sends[index];
    const subscriber = "subscriber" in target ? target.subscriber : null;
    const decision: DeliveryDecision = subscriber
      ? (decisions.get(subscriber.id) as DeliveryDecision)
      : { send: false, reason: "suppression_list", detail: suppressionDetail((target as { suppression: Suppression }).suppression) };
    return {
      index,
      row: {
        id: newId("rcp"),
        workspace_id: workspaceId,
        campaign_id: campaign.id,
        run_id: null,
        subscriber_id: subscriber?.id ?? null,
        email: subscriber ? subscriber.email : (target as { email: string }).email,
        recipient_name: subscriber ? subscriber.name : (target as { name: string | null }).name,
        context,
        status: decision.send ? ("pending" as const) : ("failed" as const),
        failure_reason: decision.send ? null : decision.reason,
        failure_detail: decision.send ? null : (decision.detail ?? null),
        enqueued_at: decision.send ? iso : null,
        created_at: iso,
        updated_at: iso,
      },
    };
  });

  const queued: CampaignRecipient[] = [...requeue];
  if (recipients.length > 0) {
    const inserts = chunk(recipients, rowsPerInsert(RECIPIENT_COLUMNS)).map((part) =>
      db
        .insert(campaignRecipients)
        .values(part.map((r) => r.row))
        .returning(),
    );
    const statements: BatchItem<"sqlite">[] = [
      ...inserts,
      ...chunk(recipients, rowsPerInsert(KEY_COLUMNS)).map((part) =>
        db.insert(campaignTriggerKeys).values(
          part.map((r) => ({
            campaign_id: campaign.id,
            idempotency_key: sends[r.index].idempotencyKey,
            workspace_id: workspaceId,
            recipient_id: r.row.id,
            request_hash: hashes[r.index],
          })),
        ),
      ),
      // A triggered campaign has no run to recount: its counters grow with its recipients, in the same transaction.
      db
        .update(emailCampaigns)
        .set({
          total_recipients: sql`${emailCampaigns.total_recipients} + ${recipients.length}`,
          failed_count: sql`${emailCampaigns.failed_count} + ${recipients.filter((r) => r.row.status === "failed").length}`,
        })
        .where(eq(emailCampaigns.id, campaign.id)),
    ];
    const [head, ...rest] = statements;
    let written: CampaignRecipient[] | null = null;
    try {
      written = ((await db.batch([head, ...rest])) as unknown[]).slice(0, inserts.length).flat() as CampaignRecipient[];
    } catch {
      // Nothing of the batch was written (a D1 batch is one transaction): each send alone settles what raced.
      for (const r of recipients) await one(r.index);
    }
    if (written) {
      const byId = new Map(written.map((row) => [row.id, row]));
      for (const r of recipients) {
        const recipient = byId.get(r.row.id) as CampaignRecipient;
        outcomes[r.index] = { recipient, replayed: false };
        if (recipient.status === "pending") queued.push(recipient);
      }
    }
  }
  if (queued.length > 0) {
    await deps.enqueueSends(
      queued.map((r) => sendEmailMessage(campaign, r.id)),
      0,
    );
  }
  return outcomes;
}
