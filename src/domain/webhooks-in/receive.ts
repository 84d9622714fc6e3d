import { and, eq, inArray, lt } from "drizzle-orm";
import type { Database } from "../../db/client";
import { emailProviders } from "../../db/schema";
import { webhookReplayTokens } from "../../db/schema/webhooks";
import { LruCache } from "../../lib/lru-cache";
import type { NormalizedProviderEvent, ReceivedWebhook } from "../../provider-clients/contract";
import type { ProviderEvent } from "../events/event-messages";
import { openWebhookSigningKey, type SecretsContext } from "../provider-accounts/providers";
import { MAILGUN_FRESHNESS_SECONDS } from "./mailgun";

export const WEBHOOK_PROVIDER_TYPES = ["ses", "sendgrid", "mailgun", "postmark"] as const;
export type WebhookProviderType = (typeof WEBHOOK_PROVIDER_TYPES)[number];

/**
 * The largest webhook body read. SendGrid posts the largest (batches of events, well under 1 MB in practice);
 * anything bigger is refused with 413 before it is parsed.
 */
export const MAX_WEBHOOK_BODY_BYTES = 1024 * 1024;

export interface WebhookProvider {
  id: string;
  workspace_id: string;
  provider_type: string;
  signingKey: string | null;
}

/** How long an isolate trusts what it read of a provider: a changed signing key applies within this. */
export const PROVIDER_CACHE_MS = 60_000;
const providers = new LruCache<{ expiresAt: number; provider: Promise<WebhookProvider | null> }>(512);

/** The provider a webhook URL names, with its signing key opened: one D1 read per provider and isolate a minute. */
export function findWebhookProvider(db: Database, keys: SecretsContext, id: string, now = Date.now()): Promise<WebhookProvider | null> {
  const cached = providers.get(id);
  if (cached && cached.expiresAt > now) return cached.provider;
  const provider = (async () => {
    const [row] = await db.select().from(emailProviders).where(eq(emailProviders.id, id)).limit(1);
    if (!row) return null;
    return {
      id: row.id,
      workspace_id: row.workspace_id,
      provider_type: row.provider_type,
      signingKey: await openWebhookSigningKey(keys, row),
    };
  })();
  provider.catch(() => providers.delete(id));
  providers.set(id, { expiresAt: now + PROVIDER_CACHE_MS, provider });
  return provider;
}

/**
 * Records a Mailgun token's first use; false when it was seen before. Tokens older than twice the freshness window
 * are pruned in the same batch: by then a replay fails the timestamp check anyway.
 */
export async function claimReplayToken(db: Database, providerId: string, token: string, now: Date): Promise<boolean> {
  const pruneBefore = new Date(now.getTime() - 2 * MAILGUN_FRESHNESS_SECONDS * 1000).toISOString();
  const [claimed] = await db.batch([
    db
      .insert(webhookReplayTokens)
      .values({ provider_id: providerId, token, seen_at: now.toISOString() })
      .onConflictDoNothing()
      .returning({ token: webhookReplayTokens.token }),
    db.delete(webhookReplayTokens).where(lt(webhookReplayTokens.seen_at, pruneBefore)),
  ]);
  return claimed.length > 0;
}

/** Forgets tokens claimed for a request whose events could not be queued, so Mailgun's retry of it is not a replay. */
export async function releaseReplayTokens(db: Database, providerId: string, tokens: string[]): Promise<void> {
  if (tokens.length === 0) return;
  await db
    .delete(webhookReplayTokens)
    .where(and(eq(webhookReplayTokens.provider_id, providerId), inArray(webhookReplayTokens.token, tokens)));
}

/**
 * The queue messages for what a provider reported. Events come from the provider's workspace only: ids tagged with
 * another workspace's id are dropped (the cascade then finds the recipient by message id within this workspace).
 */
export function toProviderEvents(
  provider: WebhookProvider & { provider_type: WebhookProviderType },
  received: ReceivedWebhook,
): ProviderEvent[] {
  return received.events.map(({ tagged_workspace_id, ...event }: NormalizedProviderEvent) => {
    const foreign = tagged_workspace_id !== null && tagged_workspace_id !== provider.workspace_id;
    if (foreign)
      console.warn(
        `provider webhook ${provider.id}: event ${event.provider_event_id} is tagged with another workspace; its ids are ignored`,
      );
    return {
      kind: "provider_event",
      workspace_id: provider.workspace_id,
      provider_id: provider.id,
      provider_type: provider.provider_type,
      ...event,
      ...(foreign ? { campaign_id: null, recipient_id: null } : {}),
    };
  });
}

/** Queues take at most 100 messages and 256 KB per sendBatch; batches stay under both. */
const MAX_MESSAGES_PER_BATCH = 100;
const MAX_BATCH_BYTES = 200 * 1024;
/** A message may hold at most 128 KB: a raw event larger than this is carried without its payload. */
const MAX_MESSAGE_BYTES = 100 * 1024;

const byteLength = (value: unknown) => new TextEncoder().encode(JSON.stringify(value)).byteLength;

export async function enqueueProviderEvents(queue: Queue, events: ProviderEvent[]): Promise<void> {
  let batch: MessageSendRequest[] = [];
  let batchBytes = 0;
  for (const event of events) {
    let size = byteLength(event);
    let body: ProviderEvent = event;
    if (size > MAX_MESSAGE_BYTES) {
      body = { ...event, payload: { truncated: true } };
      size = byteLength(body);
    }
    if (batch.length === MAX_MESSAGES_PER_BATCH || batchBytes + size > MAX_BATCH_BYTES) {
      await queue.sendBatch(batch);
      batch = [];
      batchBytes = 0;
    }
    batch.push({ body, contentType: "json" });
    batchBytes += size;
  }
  if (batch.length > 0) await queue.sendBatch(batch);
}
