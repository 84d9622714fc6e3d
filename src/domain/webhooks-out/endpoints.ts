import { and, asc, eq, inArray } from "drizzle-orm";
import type { Database } from "../../db/client";
import { webhookDeliveries, webhookDeliveryAttempts, webhookEndpoints } from "../../db/schema";
import { openSecret, sealSecret } from "../../lib/crypto";
import { newId } from "../../lib/ids";
import { findInWorkspace } from "../../lib/lookups";
import { keysetPage, type Page } from "../../lib/pagination";
import { conflict, invalidField } from "../errors";
import { enqueueDeliveries, forgetWorkspaceEndpoints } from "./dispatch";
import type { OutgoingEventType } from "./outgoing-event";
import { generateWebhookSecret } from "./signing";

export type WebhookEndpoint = typeof webhookEndpoints.$inferSelect;
export type WebhookDelivery = typeof webhookDeliveries.$inferSelect;
export type WebhookDeliveryAttempt = typeof webhookDeliveryAttempts.$inferSelect;

export interface WebhookSecretsContext {
  encryptionKey: string;
  /** WEBHOOK_ALLOW_LOCAL_HTTP: lets http://localhost and http://127.0.0.1 endpoints in, for local runs. */
  allowLocalHttp: boolean;
}

export interface EndpointInput {
  url: string;
  description?: string | null;
  /** Empty or absent: every type. */
  event_types?: OutgoingEventType[];
  enabled?: boolean;
}

export type EndpointChanges = Partial<EndpointInput>;

/** What the API shows of an endpoint: never a secret, only when the previous one stops signing. */
export type EndpointView = Omit<WebhookEndpoint, "secret" | "previous_secret">;

/** How long a rotated-out secret keeps signing next to the new one, so receivers can switch without a gap. */
export const PREVIOUS_SECRET_OVERLAP_MS = 24 * 60 * 60 * 1000;

/** Both columns are sealed for the endpoint, so rotation moves the current secret to `previous_secret` as it is. */
const secretBinding = (endpointId: string) => `webhook-endpoint:${endpointId}`;

const LOCAL_HOSTS = new Set(["localhost", "127.0.0.1"]);

export function checkEndpointUrl(url: string, allowLocalHttp: boolean): void {
  const parsed = new URL(url);
  if (parsed.protocol === "https:") return;
  if (parsed.protocol === "http:" && allowLocalHttp && LOCAL_HOSTS.has(parsed.hostname)) return;
  throw invalidField("body", "url", allowLocalHttp ? "must be https (http only for localhost or 127.0.0.1)" : "must be an https URL");
}

const toView = ({ secret: _secret, previous_secret: _previous, ...view }: WebhookEndpoint): EndpointView => view;

const uniqueTypes = (types: OutgoingEventType[] | undefined) => [...new Set(types ?? [])];

export async function createEndpoint(
  db: Database,
  keys: WebhookSecretsContext,
  workspaceId: string,
  input: EndpointInput,
): Promise<{ endpoint: EndpointView; secret: string }> {
  checkEndpointUrl(input.url, keys.allowLocalHttp);
  const id = newId("whe");
  const secret = generateWebhookSecret();
  const [created] = await db
    .insert(webhookEndpoints)
    .values({
      id,
      workspace_id: workspaceId,
      url: input.url,
      description: input.description ?? null,
      event_types: uniqueTypes(input.event_types),
      enabled: input.enabled ?? true,
      secret: await sealSecret(keys.encryptionKey, secret, secretBinding(id)),
    })
    .returning();
  forgetWorkspaceEndpoints(workspaceId);
  return { endpoint: toView(created), secret };
}

export const getEndpointRow = (db: Database, workspaceId: string, id: string) =>
  findInWorkspace(db, webhookEndpoints, workspaceId, id, "Webhook endpoint");

export const getEndpoint = async (db: Database, workspaceId: string, id: string) => toView(await getEndpointRow(db, workspaceId, id));

export async function listEndpoints(db: Database, workspaceId: string, limit: number, cursor?: string): Promise<Page<EndpointView>> {
  const page = await keysetPage(
    (after) =>
      db
        .select()
        .from(webhookEndpoints)
        .where(and(eq(webhookEndpoints.workspace_id, workspaceId), after)),
    {
      key: webhookEndpoints.id,
      limit,
      cursor,
    },
  );
  return { data: page.data.map(toView), next_cursor: page.next_cursor };
}

export async function updateEndpoint(
  db: Database,
  keys: WebhookSecretsContext,
  workspaceId: string,
  id: string,
  changes: EndpointChanges,
): Promise<EndpointView> {
  const current = await getEndpointRow(db, workspaceId, id);
  if (changes.url !== undefined) checkEndpointUrl(changes.url, keys.allowLocalHttp);
  const set: Partial<typeof webhookEndpoints.$inferInsert> = {};
  if (changes.url !== undefined) set.url = changes.url;
  if (changes.description !== undefined) set.description = changes.description;
  if (changes.event_types !== undefined) set.event_types = uniqueTypes(changes.event_types);
  if (changes.enabled !== undefined) set.enabled = changes.enabled;
  if (Object.keys(set).length === 0) return toView(current);
  const [updated] = await db.update(webhookEndpoints).set(set).where(eq(webhookEndpoints.id, id)).returning();
  forgetWorkspaceEndpoints(workspaceId);
  return toView(updated);
}

/** The endpoint goes with its deliveries and their attempts: a queued delivery then finds nothing and is dropped. */
export async function deleteEndpoint(db: Database, workspaceId: string, id: string): Promise<void> {
  await getEndpointRow(db, workspaceId, id);
  const deliveryIds = db.select({ id: webhookDeliveries.id }).from(webhookDeliveries).where(eq(webhookDeliveries.endpoint_id, id));
  await db.batch([
    db.delete(webhookDeliveryAttempts).where(inArray(webhookDeliveryAttempts.delivery_id, deliveryIds)),
    db.delete(webhookDeliveries).where(eq(webhookDeliveries.endpoint_id, id)),
    db.delete(webhookEndpoints).where(eq(webhookEndpoints.id, id)),
  ]);
  forgetWorkspaceEndpoints(workspaceId);
}

/**
 * A new secret, returned this once. The one it replaces keeps signing alongside it for
 * PREVIOUS_SECRET_OVERLAP_MS; rotating again within that time drops the older one.
 */
export async function rotateEndpointSecret(
  db: Database,
  keys: WebhookSecretsContext,
  workspaceId: string,
  id: string,
  now = new Date(),
): Promise<{ endpoint: EndpointView; secret: string }> {
  const current = await getEndpointRow(db, workspaceId, id);
  const secret = generateWebhookSecret();
  const [updated] = await db
    .update(webhookEndpoints)
    .set({
      secret: await sealSecret(keys.encryptionKey, secret, secretBinding(id)),
      previous_secret: current.secret,
      previous_secret_expires_at: new Date(now.getTime() + PREVIOUS_SECRET_OVERLAP_MS).toISOString(),
    })
    .where(eq(webhookEndpoints.id, id))
    .returning();
  return { endpoint: toView(updated), secret };
}

/** The secrets that sign a delivery now: the current one, and the previous one during its overlap. */
export async function signingSecrets(encryptionKey: string, endpoint: WebhookEndpoint, now: Date): Promise<string[]> {
  const secrets = [await openSecret(encryptionKey, endpoint.secret, secretBinding(endpoint.id))];
  if (endpoint.previous_secret && endpoint.previous_secret_expires_at && endpoint.previous_secret_expires_at > now.toISOString()) {
    secrets.push(await openSecret(encryptionKey, endpoint.previous_secret, secretBinding(endpoint.id)));
  }
  return secrets;
}

export type DeliveryWithAttempts = WebhookDelivery & { attempt_log: WebhookDeliveryAttempt[] };

/** The endpoint's deliveries, newest first, each with its attempts in the order they were made. */
export async function listDeliveries(
  db: Database,
  workspaceId: string,
  endpointId: string,
  limit: number,
  cursor?: string,
): Promise<Page<DeliveryWithAttempts>> {
  await getEndpointRow(db, workspaceId, endpointId);
  const page = await keysetPage(
    (after) =>
      db
        .select()
        .from(webhookDeliveries)
        .where(and(eq(webhookDeliveries.workspace_id, workspaceId), eq(webhookDeliveries.endpoint_id, endpointId), after)),
    { key: webhookDeliveries.id, order: "desc", limit, cursor },
  );
  const attempts =
    page.data.length === 0
      ? []
      : await db
          .select()
          .from(webhookDeliveryAttempts)
          .where(
            inArray(
              webhookDeliveryAttempts.delivery_id,
              page.data.map((d) => d.id),
            ),
          )
          .orderBy(asc(webhookDeliveryAttempts.attempted_at), asc(webhookDeliveryAttempts.id));
  const byDelivery = Map.groupBy(attempts, (attempt) => attempt.delivery_id);
  return {
    data: page.data.map((delivery) => ({ ...delivery, attempt_log: byDelivery.get(delivery.id) ?? [] })),
    next_cursor: page.next_cursor,
  };
}

export const TEST_EVENT_TYPE = "webhook.test";

/** Queues a `webhook.test` event to this endpoint alone, whatever types it asked for. */
export async function sendTestEvent(db: Database, queue: Queue, workspaceId: string, endpointId: string): Promise<WebhookDelivery> {
  const endpoint = await getEndpointRow(db, workspaceId, endpointId);
  if (!endpoint.enabled) throw conflict("The endpoint is disabled: enable it to send it a test event");
  const id = newId("whd");
  await enqueueDeliveries(db, queue, [
    {
      id,
      workspace_id: workspaceId,
      endpoint_id: endpointId,
      payload: {
        type: TEST_EVENT_TYPE,
        timestamp: new Date().toISOString(),
        data: { endpoint_id: endpointId, message: "A test event from Flarecast" },
      },
    },
  ]);
  const [delivery] = await db.select().from(webhookDeliveries).where(eq(webhookDeliveries.id, id));
  return delivery;
}
