import { and, eq, getTableColumns, type SQL, sql } from "drizzle-orm";
import PostalMime, { type Address } from "postal-mime";
import type { Database } from "../../db/client";
import { capturedMessages } from "../../db/schema";
import { newId } from "../../lib/ids";
import { keysetPage, type Page } from "../../lib/pagination";
import type { CaptureStore } from "../../provider-clients/contract";
import { conflict, notFound } from "../errors";
import { getProviderRow } from "./providers";

/** A captured message as lists show it: everything but the message itself. */
export type CapturedMessageSummary = Omit<typeof capturedMessages.$inferSelect, "raw" | "workspace_id">;

export interface MailAddress {
  email: string;
  name: string | null;
}

/** A captured message with its raw MIME and what a mail client would read out of it. */
export interface CapturedMessageDetail extends CapturedMessageSummary {
  raw: string;
  parsed: {
    headers: { name: string; value: string }[];
    subject: string | null;
    from: MailAddress | null;
    to: MailAddress[];
    date: string | null;
    text: string | null;
    html: string | null;
  };
}

export interface CapturedMessageFilters {
  to?: string;
  campaign_id?: string;
}

const encoder = new TextEncoder();

/**
 * Where a capture provider keeps what it would have sent. A message is stored once per Message-ID: a send that
 * is repeated (a redelivered queue message, a retry after an unknown outcome) leaves the first copy alone.
 */
export function captureStoreFor(db: Database, workspaceId: string, providerId: string): CaptureStore {
  return {
    async save(message) {
      await db
        .insert(capturedMessages)
        .values({
          id: newId("cmsg"),
          workspace_id: workspaceId,
          provider_id: providerId,
          message_id: message.messageId,
          campaign_id: message.tags.campaign_id || null,
          recipient_id: message.tags.recipient_id || null,
          from_email: message.from.email,
          to_email: message.to.email,
          subject: message.subject,
          raw: message.raw,
          size_bytes: encoder.encode(message.raw).byteLength,
        })
        .onConflictDoNothing({ target: capturedMessages.message_id });
      return message.messageId;
    },
  };
}

/** The provider whose messages are asked for: in this workspace (404 otherwise) and a capture provider (409 otherwise). */
async function assertCaptureProvider(db: Database, workspaceId: string, providerId: string): Promise<void> {
  const provider = await getProviderRow(db, workspaceId, providerId);
  if (provider.provider_type !== "capture") {
    throw conflict(`only capture providers store messages; this provider is ${provider.provider_type}`);
  }
}

const { raw: _raw, workspace_id: _workspaceId, ...summaryColumns } = getTableColumns(capturedMessages);

/** Newest first, optionally only those to one address or of one campaign. */
export async function listCapturedMessages(
  db: Database,
  workspaceId: string,
  providerId: string,
  filters: CapturedMessageFilters,
  limit: number,
  cursor: string | undefined,
): Promise<Page<CapturedMessageSummary>> {
  await assertCaptureProvider(db, workspaceId, providerId);
  const conditions: SQL[] = [eq(capturedMessages.workspace_id, workspaceId), eq(capturedMessages.provider_id, providerId)];
  // Domains are case-insensitive and mailbox names nearly always treated so: a filter should not miss on case.
  if (filters.to !== undefined) conditions.push(sql`lower(${capturedMessages.to_email}) = ${filters.to.trim().toLowerCase()}`);
  if (filters.campaign_id !== undefined) conditions.push(eq(capturedMessages.campaign_id, filters.campaign_id));
  return keysetPage(
    (after) =>
      db
        .select(summaryColumns)
        .from(capturedMessages)
        .where(and(...conditions, after)),
    { key: capturedMessages.id, order: "desc", limit, cursor },
  );
}

/** One captured message by its id or by its Message-ID (what the recipient records as the provider message id). */
export async function getCapturedMessage(
  db: Database,
  workspaceId: string,
  providerId: string,
  messageId: string,
): Promise<CapturedMessageDetail> {
  await assertCaptureProvider(db, workspaceId, providerId);
  const bareMessageId = messageId.replace(/^<|>$/g, "");
  const scope = and(eq(capturedMessages.workspace_id, workspaceId), eq(capturedMessages.provider_id, providerId));
  const row =
    (await db
      .select()
      .from(capturedMessages)
      .where(and(scope, eq(capturedMessages.id, messageId)))
      .get()) ??
    (await db
      .select()
      .from(capturedMessages)
      .where(and(scope, eq(capturedMessages.message_id, bareMessageId)))
      .get());
  if (!row) throw notFound("Captured message");
  const { workspace_id: _workspace, raw, ...summary } = row;
  return { ...summary, raw, parsed: await parseMessage(raw) };
}

async function parseMessage(raw: string): Promise<CapturedMessageDetail["parsed"]> {
  const email = await PostalMime.parse(raw);
  return {
    headers: email.headers.map((header) => ({ name: header.originalKey, value: header.value })),
    subject: email.subject ?? null,
    from: email.from ? (mailboxes([email.from])[0] ?? null) : null,
    to: mailboxes(email.to ?? []),
    date: email.date ?? null,
    text: email.text ?? null,
    html: email.html ?? null,
  };
}

/** Address groups are flattened into their members: a captured message's reader wants the addresses. */
function mailboxes(addresses: Address[]): MailAddress[] {
  return addresses.flatMap((address) =>
    address.group
      ? address.group.map((member) => ({ email: member.address, name: member.name || null }))
      : [{ email: address.address, name: address.name || null }],
  );
}
