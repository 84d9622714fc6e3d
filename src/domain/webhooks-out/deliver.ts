import { eq } from "drizzle-orm";
import type { Database } from "../../db/client";
import { webhookDeliveries, webhookDeliveryAttempts, webhookEndpoints } from "../../db/schema";
import { newId } from "../../lib/ids";
import type { WebhookPayload } from "./dispatch";
import { signingSecrets } from "./endpoints";
import { signatureHeader } from "./signing";

/** Seconds to wait after the n-th failed attempt (index n - 1): spread over about two days. */
export const WEBHOOK_RETRY_DELAYS_SECONDS = [30, 120, 600, 3_600, 21_600, 43_200, 43_200] as const;
/** The first attempt and one per delay; the last failure marks the delivery failed. */
export const WEBHOOK_MAX_ATTEMPTS = WEBHOOK_RETRY_DELAYS_SECONDS.length + 1;
export const WEBHOOK_TIMEOUT_MS = 10_000;
/** Kept of a failed response's body in `last_error`/attempts, enough to tell what the receiver said. */
const ERROR_TEXT_LIMIT = 500;

export type DeliveryOutcome =
  | { kind: "succeeded" }
  | { kind: "retry"; delaySeconds: number }
  | { kind: "failed" }
  /** Nothing to send: the delivery is gone (endpoint deleted) or already settled by an earlier message. */
  | { kind: "skipped" };

export interface DeliverContext {
  db: Database;
  encryptionKey: string;
  fetch: typeof fetch;
  now?: () => Date;
}

interface AttemptResult {
  ok: boolean;
  statusCode: number | null;
  error: string | null;
}

async function post(fetcher: typeof fetch, url: string, headers: Record<string, string>, body: string): Promise<AttemptResult> {
  try {
    // Redirects are never followed (they could lead to any host) and never count as delivered.
    const res = await fetcher(url, {
      method: "POST",
      headers,
      body,
      redirect: "manual",
      signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
    });
    if (res.status >= 200 && res.status < 300) {
      await res.body?.cancel();
      return { ok: true, statusCode: res.status, error: null };
    }
    if (res.status >= 300 && res.status < 400) {
      await res.body?.cancel();
      return { ok: false, statusCode: res.status, error: `redirect to ${res.headers.get("location") ?? "(no location)"} not followed` };
    }
    const text = (await res.text().catch(() => "")).slice(0, ERROR_TEXT_LIMIT);
    return { ok: false, statusCode: res.status, error: text ? `HTTP ${res.status}: ${text}` : `HTTP ${res.status}` };
  } catch (err) {
    const timedOut = err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError");
    return {
      ok: false,
      statusCode: null,
      error: timedOut ? `no response within ${WEBHOOK_TIMEOUT_MS / 1000} s` : `request failed: ${String(err).slice(0, ERROR_TEXT_LIMIT)}`,
    };
  }
}

/**
 * Makes one attempt of a delivery: POSTs its payload signed per Standard Webhooks, records the attempt and the
 * delivery's new state in one D1 batch, and says what the queue should do with the message.
 */
export async function attemptDelivery(ctx: DeliverContext, deliveryId: string): Promise<DeliveryOutcome> {
  const now = ctx.now?.() ?? new Date();
  const [found] = await ctx.db
    .select({ delivery: webhookDeliveries, endpoint: webhookEndpoints })
    .from(webhookDeliveries)
    .innerJoin(webhookEndpoints, eq(webhookEndpoints.id, webhookDeliveries.endpoint_id))
    .where(eq(webhookDeliveries.id, deliveryId));
  if (found?.delivery.status !== "pending") return { kind: "skipped" };
  const { delivery, endpoint } = found;
  if (!endpoint.enabled) {
    await ctx.db
      .update(webhookDeliveries)
      .set({ status: "failed", last_error: "endpoint disabled", next_attempt_at: null })
      .where(eq(webhookDeliveries.id, deliveryId));
    return { kind: "failed" };
  }

  const body = JSON.stringify(delivery.payload as WebhookPayload);
  const timestamp = Math.floor(now.getTime() / 1000);
  const headers = {
    "content-type": "application/json",
    "user-agent": "Flarecast-Webhooks/1",
    "webhook-id": delivery.id,
    "webhook-timestamp": String(timestamp),
    "webhook-signature": await signatureHeader(await signingSecrets(ctx.encryptionKey, endpoint, now), delivery.id, timestamp, body),
  };
  const started = Date.now();
  const result = await post(ctx.fetch, endpoint.url, headers, body);
  const durationMs = Date.now() - started;

  const attempts = delivery.attempts + 1;
  const outcome: DeliveryOutcome = result.ok
    ? { kind: "succeeded" }
    : attempts >= WEBHOOK_MAX_ATTEMPTS
      ? { kind: "failed" }
      : { kind: "retry", delaySeconds: WEBHOOK_RETRY_DELAYS_SECONDS[attempts - 1] };
  await ctx.db.batch([
    ctx.db.insert(webhookDeliveryAttempts).values({
      id: newId("wha"),
      delivery_id: delivery.id,
      workspace_id: delivery.workspace_id,
      attempted_at: now.toISOString(),
      status_code: result.statusCode,
      error: result.error,
      duration_ms: durationMs,
    }),
    ctx.db
      .update(webhookDeliveries)
      .set({
        status: outcome.kind === "succeeded" ? "succeeded" : outcome.kind === "failed" ? "failed" : "pending",
        attempts,
        last_status_code: result.statusCode,
        last_error: result.error,
        delivered_at: result.ok ? now.toISOString() : null,
        next_attempt_at: outcome.kind === "retry" ? new Date(now.getTime() + outcome.delaySeconds * 1000).toISOString() : null,
      })
      .where(eq(webhookDeliveries.id, delivery.id)),
  ]);
  return outcome;
}
