import { and, eq } from "drizzle-orm";
import type { Database } from "../../db/client";
import { type SendingIdentity, sendingIdentities } from "../../db/schema";
import { conflict, invalidField } from "../../lib/errors";
import { newId } from "../../lib/ids";
import { keysetPage, type Page } from "../../lib/pagination";
import { domainOf, normalizeEmail } from "../audience/emails";
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
