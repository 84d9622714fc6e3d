import { and, eq, inArray } from "drizzle-orm";
import type { Database } from "../../db/client";
import { webhookDeliveries, webhookEndpoints } from "../../db/schema";
import { chunk, rowsPerInsert } from "../../lib/chunk";
import { newId } from "../../lib/ids";
import { webhookDeliveryMessage } from "./delivery-message";
import type { OutgoingEvent } from "./outgoing-event";

/** What a delivery row stores and the endpoint receives as its body. */
export interface WebhookPayload {
  type: string;
  timestamp: string;
  data: Record<string, unknown>;
}

interface EndpointInterest {
  id: string;
  /** Empty: every type. */
  event_types: string[];
}

/**
 * Enabled endpoints per workspace, kept per isolate for at most this long: the cascade calls this for every batch,
 * and endpoints change rarely. A change made through this isolate is seen at once; one made through another isolate
 * within this many seconds.
 */
export const ENDPOINT_CACHE_TTL_MS = 30_000;
const endpointCache = new Map<string, { loadedAt: number; endpoints: EndpointInterest[] }>();

export function forgetWorkspaceEndpoints(workspaceId: string): void {
  endpointCache.delete(workspaceId);
}

async function enabledEndpoints(db: Database, workspaceIds: string[], now: number): Promise<Map<string, EndpointInterest[]>> {
  const found = new Map<string, EndpointInterest[]>();
  const missing: string[] = [];
  for (const workspaceId of workspaceIds) {
    const cached = endpointCache.get(workspaceId);
    if (cached && now - cached.loadedAt < ENDPOINT_CACHE_TTL_MS) found.set(workspaceId, cached.endpoints);
    else missing.push(workspaceId);
  }
  if (missing.length === 0) return found;
  for (const workspaceId of missing) found.set(workspaceId, []);
  for (const ids of chunk(missing, 90)) {
    const rows = await db
      .select({ id: webhookEndpoints.id, workspace_id: webhookEndpoints.workspace_id, event_types: webhookEndpoints.event_types })
      .from(webhookEndpoints)
      .where(and(inArray(webhookEndpoints.workspace_id, ids), eq(webhookEndpoints.enabled, true)));
    for (const row of rows) found.get(row.workspace_id)?.push({ id: row.id, event_types: row.event_types });
  }
  for (const workspaceId of missing) endpointCache.set(workspaceId, { loadedAt: now, endpoints: found.get(workspaceId) ?? [] });
  return found;
}

export interface NewDelivery {
  id: string;
  workspace_id: string;
  endpoint_id: string;
  payload: WebhookPayload;
}

const DELIVERY_COLUMNS = 9;
/** Queue.sendBatch takes at most 100 messages per call. */
const SEND_BATCH_SIZE = 100;

/** Stores the deliveries (one D1 batch) and only then enqueues them, so every message finds its row. */
export async function enqueueDeliveries(db: Database, queue: Queue, deliveries: NewDelivery[]): Promise<void> {
  if (deliveries.length === 0) return;
  const now = new Date().toISOString();
  const inserts = chunk(deliveries, rowsPerInsert(DELIVERY_COLUMNS)).map((rows) =>
    db.insert(webhookDeliveries).values(
      rows.map((delivery) => ({
        id: delivery.id,
        workspace_id: delivery.workspace_id,
        endpoint_id: delivery.endpoint_id,
        event_type: delivery.payload.type,
        payload: delivery.payload,
        status: "pending" as const,
        attempts: 0,
        created_at: now,
        updated_at: now,
      })),
    ),
  );
  await db.batch(inserts as [(typeof inserts)[number], ...typeof inserts]);
  for (const group of chunk(deliveries, SEND_BATCH_SIZE)) {
    await queue.sendBatch(group.map((delivery) => ({ body: webhookDeliveryMessage(delivery.id), contentType: "json" as const })));
  }
}

/**
 * Fans a batch of normalized events out to the endpoints that want them: one `webhook_deliveries` row per
 * (event, endpoint), written in one D1 batch, then one WEBHOOK_QUEUE message per row.
 */
export async function queueOutgoingWebhooks(db: Database, env: Env, events: OutgoingEvent[]): Promise<void> {
  if (events.length === 0) return;
  const endpoints = await enabledEndpoints(db, [...new Set(events.map((event) => event.workspace_id))], Date.now());
  const deliveries: NewDelivery[] = [];
  for (const event of events) {
    for (const endpoint of endpoints.get(event.workspace_id) ?? []) {
      if (endpoint.event_types.length > 0 && !endpoint.event_types.includes(event.type)) continue;
      deliveries.push({
        id: newId("whd"),
        workspace_id: event.workspace_id,
        endpoint_id: endpoint.id,
        payload: { type: event.type, timestamp: event.occurred_at, data: event.data },
      });
    }
  }
  await enqueueDeliveries(db, env.WEBHOOK_QUEUE, deliveries);
}
