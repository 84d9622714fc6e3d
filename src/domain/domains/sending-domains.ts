import { and, asc, eq, sql } from "drizzle-orm";
import type { Database } from "../../db/client";
import { type EmailProvider, type SendingDomain, sendingDomains, sendingIdentities, warmingProgress } from "../../db/schema";
import { openSecret, sealSecret } from "../../lib/crypto";
import { newId } from "../../lib/ids";
import { findInWorkspace } from "../../lib/lookups";
import { keysetPage, type Page } from "../../lib/pagination";
import type { DnsResolver } from "../dns/doh-resolver";
import { conflict } from "../errors";
import { assertDomainUnused } from "../pools/usage";
import { listProviderRows } from "../provider-accounts/providers";
import { generateDkimKeyPair, newDkimSelector } from "./dkim";
import { buildDnsRecords, normalizeDomain } from "./dns-records";
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
function dnsRequirements(providers: EmailProvider[], host: string) {
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

/**
 * The SPF and return-path records follow the workspace's providers as they are now, so a provider added after
 * the domain is asked for (and verified) too. The DKIM key and DMARC records are the domain's own and stay.
 */
function withRecordsFor(providers: EmailProvider[], domain: SendingDomain): SendingDomain {
  const host = sendingHost(domain);
  const { spfIncludes, returnPath } = dnsRequirements(providers, host);
  const current = buildDnsRecords({
    domain: host,
    dkimSelector: domain.dkim_selector,
    dkimPublicKey: domain.dkim_public_key,
    spfIncludes,
    returnPath,
  });
  return { ...domain, dns_records: { ...domain.dns_records, spf: current.spf, return_path: current.return_path } };
}

async function withCurrentRecords(db: Database, workspaceId: string, domains: SendingDomain[]): Promise<SendingDomain[]> {
  if (domains.length === 0) return domains;
  const providers = await listProviderRows(db, workspaceId);
  return domains.map((domain) => withRecordsFor(providers, domain));
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

/** The host of a row as SQL, so that a host given whole and the same host given as domain + subdomain compare equal. */
const storedHost = sql<string>`case when coalesce(${sendingDomains.subdomain}, '') = '' then ${sendingDomains.domain} else ${sendingDomains.subdomain} || '.' || ${sendingDomains.domain} end`;

/** The workspace's domains that send from `host`, oldest id first. */
const domainsAtHost = (db: Database, workspaceId: string, host: string) =>
  db
    .select()
    .from(sendingDomains)
    .where(and(eq(sendingDomains.workspace_id, workspaceId), eq(storedHost, host)))
    .orderBy(asc(sendingDomains.id))
    .all();

const hostTaken = (existing: SendingDomain) =>
  conflict(
    `${sendingHost(existing)} is already the sending host of sending domain ${existing.id} (domain ${existing.domain}${existing.subdomain ? `, subdomain ${existing.subdomain}` : ""})`,
  );

/**
 * One row per sending host: the host decides the DNS names (the DKIM selector's record above all), so a second
 * row for it, however its domain and subdomain are split, would publish a second key under the same name.
 */
export async function createDomain(
  db: Database,
  encryptionKey: string,
  workspaceId: string,
  input: DomainInput,
  now: Date,
): Promise<SendingDomain> {
  const domain = normalizeDomain(input.domain);
  const subdomain = input.subdomain ? normalizeDomain(input.subdomain) || null : null;
  const host = sendingHost({ domain, subdomain });
  const [existing] = await domainsAtHost(db, workspaceId, host);
  if (existing) throw hostTaken(existing);

  const id = newId("dom");
  const keys = await generateDkimKeyPair();
  const selector = newDkimSelector(now);
  const { spfIncludes, returnPath } = dnsRequirements(await listProviderRows(db, workspaceId), host);
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
    .onConflictDoNothing()
    .returning();
  // Two requests for one host may both pass the check above while their keys are made; the oldest id keeps it.
  const [first] = await domainsAtHost(db, workspaceId, host);
  if (!created || first.id !== id) {
    if (created) await db.delete(sendingDomains).where(eq(sendingDomains.id, id));
    throw hostTaken(first);
  }
  if (created.is_default) await demoteOtherDefaults(db, workspaceId, id);
  return created;
}

/** What may change on a domain: the host, its keys and its records are what receivers checked, so they stay. */
export type DomainChanges = Partial<Pick<DomainInput, "default_from_name" | "default_reply_to" | "is_default">>;

export async function updateDomain(db: Database, workspaceId: string, id: string, changes: DomainChanges): Promise<SendingDomain> {
  const current = await getDomain(db, workspaceId, id);
  const set: Partial<typeof sendingDomains.$inferInsert> = {};
  if (changes.default_from_name !== undefined) set.default_from_name = changes.default_from_name;
  if (changes.default_reply_to !== undefined) set.default_reply_to = changes.default_reply_to;
  if (changes.is_default !== undefined) set.is_default = changes.is_default;
  if (Object.keys(set).length === 0) return (await withCurrentRecords(db, workspaceId, [current]))[0];
  const [updated] = await db.update(sendingDomains).set(set).where(eq(sendingDomains.id, id)).returning();
  if (updated.is_default) await demoteOtherDefaults(db, workspaceId, id);
  return (await withCurrentRecords(db, workspaceId, [updated]))[0];
}

/**
 * Removes the domain, its identities and its warming history. Refused while a pool lists it or a campaign that
 * may still send uses it: take it out of the pool (or finish the campaign) first.
 */
export async function deleteDomain(db: Database, workspaceId: string, id: string): Promise<void> {
  const domain = await getDomain(db, workspaceId, id);
  await assertDomainUnused(db, workspaceId, id, `Sending domain ${sendingHost(domain)}`);
  await db.batch([
    db.delete(sendingIdentities).where(eq(sendingIdentities.domain_id, id)),
    db.delete(warmingProgress).where(and(eq(warmingProgress.target_type, "domain"), eq(warmingProgress.target_id, id))),
    db.delete(sendingDomains).where(eq(sendingDomains.id, id)),
  ]);
}

/** The DKIM private key in clear, for signing outgoing mail. */
export const openDkimPrivateKey = (encryptionKey: string, domain: SendingDomain) =>
  openSecret(encryptionKey, domain.dkim_private_key, dkimBinding(domain.id));

export async function getDomain(db: Database, workspaceId: string, id: string): Promise<SendingDomain> {
  return findInWorkspace(db, sendingDomains, workspaceId, id, "Sending domain");
}

/** The domain with the DNS records it asks for now, as the API shows it. */
export async function readDomain(db: Database, workspaceId: string, id: string): Promise<SendingDomain> {
  return (await withCurrentRecords(db, workspaceId, [await getDomain(db, workspaceId, id)]))[0];
}

/** Lets campaign runs route through the domain again after the complaint-rate guard paused it. */
export async function liftMarketingPause(db: Database, workspaceId: string, id: string): Promise<SendingDomain> {
  await getDomain(db, workspaceId, id);
  await db
    .update(sendingDomains)
    .set({ marketing_paused_at: null, marketing_pause_reason: null })
    .where(and(eq(sendingDomains.workspace_id, workspaceId), eq(sendingDomains.id, id)));
  return readDomain(db, workspaceId, id);
}

export async function listDomains(db: Database, workspaceId: string, limit: number, cursor?: string): Promise<Page<SendingDomain>> {
  const page = await keysetPage(
    (after) =>
      db
        .select()
        .from(sendingDomains)
        .where(and(eq(sendingDomains.workspace_id, workspaceId), after)),
    {
      key: sendingDomains.id,
      limit,
      cursor,
    },
  );
  return { ...page, data: await withCurrentRecords(db, workspaceId, page.data) };
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
  const providers = await listProviderRows(db, workspaceId);
  const domain = withRecordsFor(providers, await getDomain(db, workspaceId, id));
  const { spfIncludes } = dnsRequirements(providers, sendingHost(domain));
  const verification = await verifyDomain(
    resolver,
    { domain: sendingHost(domain), records: domain.dns_records, dkimPublicKey: domain.dkim_public_key, spfIncludes },
    now,
  );
  const [verified] = await db
    .update(sendingDomains)
    .set({
      status: DNS_STATUSES.has(domain.status) ? verification.status : domain.status,
      verification_results: { spf_includes: spfIncludes, ...verification },
      verified_at: verification.status === "verified" ? now.toISOString() : domain.verified_at,
    })
    .where(eq(sendingDomains.id, id))
    .returning();
  return { domain: withRecordsFor(providers, verified), verification };
}
