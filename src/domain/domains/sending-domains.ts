import { and, eq, isNull } from "drizzle-orm";
import type { Database } from "../../db/client";
import { type SendingDomain, sendingDomains } from "../../db/schema";
import { openSecret, sealSecret } from "../../lib/crypto";
import { conflict } from "../../lib/errors";
import { newId } from "../../lib/ids";
import { findInWorkspace } from "../../lib/lookups";
import { keysetPage, type Page } from "../../lib/pagination";
import type { DnsResolver } from "../dns/doh-resolver";
import { listProviderRows } from "../providers/providers";
import { generateDkimKeyPair, newDkimSelector } from "./dkim";
import { buildDnsRecords } from "./dns-records";
import { returnPathFor, spfIncludeFor } from "./provider-dns";
import { type DomainVerification, verifyDomain } from "./verification";

export interface DomainInput {
  domain: string;
  subdomain?: string | null;
  default_from_name?: string | null;
  default_reply_to?: string | null;
  is_default?: boolean;
}

/** The host mail is sent from: the subdomain of the domain when one is given (mail.example.com). */
export const sendingHost = (d: Pick<SendingDomain, "domain" | "subdomain">) => (d.subdomain ? `${d.subdomain}.${d.domain}` : d.domain);

const dkimBinding = (id: string) => `domain:${id}:dkim`;

/** Statuses that the DNS check decides; warming, active and paused belong to warming and the operator. */
const DNS_STATUSES = new Set<SendingDomain["status"]>(["pending", "verifying", "verified", "failed"]);

/** Mailgun's EU region is chosen by its API origin; other providers do not change their SPF by region. */
const regionHint = (baseUrl: string | undefined) => (baseUrl?.includes(".eu.") ? "eu" : undefined);

/**
 * The SPF includes and return path a domain's records need, from the workspace's providers: every provider
 * that may send for the domain must be authorised by its SPF record, and bounces return through the default
 * provider (else the first by priority).
 */
async function dnsRequirements(db: Database, workspaceId: string, host: string) {
  const providers = await listProviderRows(db, workspaceId);
  const spfIncludes = [
    ...new Set(
      providers
        .map((p) => spfIncludeFor(p.provider_type, { region: regionHint(p.settings.base_url) }))
        .filter((include): include is string => include !== null),
    ),
  ];
  const primary = providers.find((p) => p.is_default) ?? providers[0];
  return { spfIncludes, returnPath: returnPathFor(host, primary?.provider_type ?? "capture") };
}

async function demoteOtherDefaults(db: Database, workspaceId: string, keepId: string) {
  const defaults = await db
    .select({ id: sendingDomains.id })
    .from(sendingDomains)
    .where(and(eq(sendingDomains.workspace_id, workspaceId), eq(sendingDomains.is_default, true)))
    .all();
  for (const other of defaults.filter((d) => d.id !== keepId)) {
    await db.update(sendingDomains).set({ is_default: false }).where(eq(sendingDomains.id, other.id));
  }
}

export async function createDomain(db: Database, encryptionKey: string, workspaceId: string, input: DomainInput, now: Date): Promise<SendingDomain> {
  const domain = input.domain.toLowerCase();
  const subdomain = input.subdomain?.toLowerCase() || null;
  const host = sendingHost({ domain, subdomain });
  const existing = await db
    .select({ id: sendingDomains.id })
    .from(sendingDomains)
    .where(
      and(
        eq(sendingDomains.workspace_id, workspaceId),
        eq(sendingDomains.domain, domain),
        subdomain ? eq(sendingDomains.subdomain, subdomain) : isNull(sendingDomains.subdomain),
      ),
    )
    .get();
  if (existing) throw conflict(`${host} is already a sending domain of this workspace`);

  const id = newId("dom");
  const keys = await generateDkimKeyPair();
  const selector = newDkimSelector(now);
  const { spfIncludes, returnPath } = await dnsRequirements(db, workspaceId, host);
  const records = buildDnsRecords({ domain: host, dkimSelector: selector, dkimPublicKey: keys.publicKey, spfIncludes, returnPath });
  const [created] = await db
    .insert(sendingDomains)
    .values({
      id,
      workspace_id: workspaceId,
      domain,
      subdomain,
      dns_records: records,
      dkim_selector: selector,
      dkim_public_key: keys.publicKey,
      dkim_private_key: await sealSecret(encryptionKey, keys.privateKeyPkcs8, dkimBinding(id)),
      verification_results: { spf_includes: spfIncludes },
      default_from_name: input.default_from_name ?? null,
      default_reply_to: input.default_reply_to ?? null,
      is_default: input.is_default ?? false,
    })
    .returning();
  if (created.is_default) await demoteOtherDefaults(db, workspaceId, id);
  return created;
}

/** The DKIM private key in clear, for signing outgoing mail. */
export const openDkimPrivateKey = (encryptionKey: string, domain: SendingDomain) =>
  openSecret(encryptionKey, domain.dkim_private_key, dkimBinding(domain.id));

export async function getDomain(db: Database, workspaceId: string, id: string): Promise<SendingDomain> {
  return findInWorkspace(db, sendingDomains, workspaceId, id, "Sending domain");
}

export async function listDomains(db: Database, workspaceId: string, limit: number, cursor?: string): Promise<Page<SendingDomain>> {
  return keysetPage((after) => db.select().from(sendingDomains).where(and(eq(sendingDomains.workspace_id, workspaceId), after)), {
    key: sendingDomains.id,
    limit,
    cursor,
  });
}

/**
 * Checks every record the domain must publish and moves a domain that is not sending yet to verified, failed
 * or (when the resolver could not answer) verifying. A domain that is warming, active or paused keeps its
 * status: a DNS change there is reported with the results, and the operator decides.
 */
export async function verifySendingDomain(
  db: Database,
  resolver: DnsResolver,
  workspaceId: string,
  id: string,
  now: Date,
): Promise<{ domain: SendingDomain; verification: DomainVerification }> {
  const domain = await getDomain(db, workspaceId, id);
  const spfIncludes = (domain.verification_results?.spf_includes as string[] | undefined) ?? [];
  const verification = await verifyDomain(
    resolver,
    { domain: sendingHost(domain), records: domain.dns_records, dkimPublicKey: domain.dkim_public_key, spfIncludes },
    now,
  );
  const [updated] = await db
    .update(sendingDomains)
    .set({
      status: DNS_STATUSES.has(domain.status) ? verification.status : domain.status,
      verification_results: { spf_includes: spfIncludes, ...verification },
      verified_at: verification.status === "verified" ? now.toISOString() : domain.verified_at,
    })
    .where(eq(sendingDomains.id, id))
    .returning();
  return { domain: updated, verification };
}
