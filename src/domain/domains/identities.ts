import { and, eq } from "drizzle-orm";
import type { Database } from "../../db/client";
import { type SendingIdentity, sendingIdentities } from "../../db/schema";
import { newId } from "../../lib/ids";
import { keysetPage, type Page } from "../../lib/pagination";
import { domainOf, normalizeEmail } from "../audience/emails";
import { conflict, invalidField, notFound } from "../errors";
import { assertIdentityUnused } from "../pools/usage";
import { getDomain, sendingHost } from "./sending-domains";

export interface IdentityInput {
  domain_id: string;
  email: string;
  display_name?: string | null;
  reply_to?: string | null;
  is_default?: boolean;
}

/**
 * A from address on one of the workspace's sending domains (marketing@, support@, noreply@ …). Its address
 * must be on the domain's sending host exactly, or DKIM and DMARC alignment would fail at the receiver.
 */
export async function createIdentity(db: Database, workspaceId: string, input: IdentityInput): Promise<SendingIdentity> {
  const domain = await getDomain(db, workspaceId, input.domain_id).catch(() => {
    throw invalidField("body", "domain_id", "no sending domain with this id in the workspace");
  });
  const email = normalizeEmail(input.email);
  const host = sendingHost(domain);
  if (email === null) throw invalidField("body", "email", "must be an email address");
  if (domainOf(email) !== host) throw invalidField("body", "email", `must be an address at ${host}`);
  const taken = await db
    .select({ id: sendingIdentities.id })
    .from(sendingIdentities)
    .where(and(eq(sendingIdentities.workspace_id, workspaceId), eq(sendingIdentities.email, email)))
    .get();
  if (taken) throw conflict(`${email} is already a sending identity`);
  const id = newId("idn");
  if (input.is_default) {
    await db
      .update(sendingIdentities)
      .set({ is_default: false })
      .where(and(eq(sendingIdentities.workspace_id, workspaceId), eq(sendingIdentities.domain_id, domain.id)));
  }
  const [identity] = await db
    .insert(sendingIdentities)
    .values({
      id,
      workspace_id: workspaceId,
      domain_id: domain.id,
      email,
      display_name: input.display_name ?? domain.default_from_name ?? null,
      reply_to: input.reply_to ?? domain.default_reply_to ?? null,
      is_default: input.is_default ?? false,
    })
    .returning();
  return identity;
}

export async function listIdentities(
  db: Database,
  workspaceId: string,
  filter: { domain_id?: string },
  limit: number,
  cursor?: string,
): Promise<Page<SendingIdentity>> {
  return keysetPage(
    (after) =>
      db
        .select()
        .from(sendingIdentities)
        .where(
          and(
            eq(sendingIdentities.workspace_id, workspaceId),
            filter.domain_id ? eq(sendingIdentities.domain_id, filter.domain_id) : undefined,
            after,
          ),
        ),
    { key: sendingIdentities.id, limit, cursor },
  );
}

export async function getIdentity(db: Database, workspaceId: string, id: string): Promise<SendingIdentity> {
  const identity = await db
    .select()
    .from(sendingIdentities)
    .where(and(eq(sendingIdentities.workspace_id, workspaceId), eq(sendingIdentities.id, id)))
    .get();
  if (!identity) throw notFound("Sending identity");
  return identity;
}

/** The address stays: it is what campaigns and DMARC alignment were set up with; a new address is a new identity. */
export type IdentityChanges = Partial<Pick<IdentityInput, "display_name" | "reply_to" | "is_default">>;

export async function updateIdentity(db: Database, workspaceId: string, id: string, changes: IdentityChanges): Promise<SendingIdentity> {
  const current = await getIdentity(db, workspaceId, id);
  const set: Partial<typeof sendingIdentities.$inferInsert> = {};
  if (changes.display_name !== undefined) set.display_name = changes.display_name;
  if (changes.reply_to !== undefined) set.reply_to = changes.reply_to;
  if (changes.is_default !== undefined) set.is_default = changes.is_default;
  if (Object.keys(set).length === 0) return current;
  if (changes.is_default) {
    await db
      .update(sendingIdentities)
      .set({ is_default: false })
      .where(and(eq(sendingIdentities.workspace_id, workspaceId), eq(sendingIdentities.domain_id, current.domain_id)));
  }
  const [updated] = await db.update(sendingIdentities).set(set).where(eq(sendingIdentities.id, id)).returning();
  return updated;
}

/** Refused while a campaign that may still send uses the identity as its from address. */
export async function deleteIdentity(db: Database, workspaceId: string, id: string): Promise<void> {
  const identity = await getIdentity(db, workspaceId, id);
  await assertIdentityUnused(db, workspaceId, id, `Sending identity ${identity.email}`);
  await db.delete(sendingIdentities).where(eq(sendingIdentities.id, id));
}
