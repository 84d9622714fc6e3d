/**
 * Inside workerd: publish records on the local DoH stand-in (test/stand-ins/doh.global.ts) and build
 * resolvers that query it.
 */
import { env } from "cloudflare:workers";
import type { DnsRecord } from "../../src/db/schema/infrastructure";
import { type DnsResolver, dohResolver } from "../../src/domain/dns/doh-resolver";

export type StandInType = "A" | "AAAA" | "CNAME" | "MX" | "NS" | "PTR" | "TXT";

export interface StandInRecord {
  name: string;
  type: StandInType;
  /** As pasted into a DNS UI; TXT values are either quoted strings (`"a" "b"`) or plain text. */
  value?: string;
  /** TXT: the exact character-strings. */
  strings?: string[];
}

export const standInResolver = (): DnsResolver => dohResolver(env.DNS_RESOLVER_URL, { timeoutMs: 2_000 });

/** A resolver on a port nothing listens on (9, discard), as when the resolver is down. */
export const downResolver = (): DnsResolver => dohResolver("http://127.0.0.1:9/dns-query", { timeoutMs: 2_000 });

/** A fresh domain no other test publishes under. */
export const uniqueDomain = (label = "d") => `${label}-${crypto.randomUUID().slice(0, 12)}.example.test`;

const namesUrl = (name: string) => new URL(`/names/${encodeURIComponent(name)}`, env.DNS_RESOLVER_URL);

async function put(name: string, body: object): Promise<void> {
  const response = await fetch(namesUrl(name), { method: "PUT", body: JSON.stringify(body) });
  if (response.status !== 204) throw new Error(`DoH stand-in refused ${name}: ${await response.text()}`);
}

/** Publishes records, replacing whatever the names answered before. */
export async function publish(...records: StandInRecord[]): Promise<void> {
  const byName = Map.groupBy(records, (record) => record.name);
  await Promise.all([...byName].map(([name, list]) => put(name, { records: list.map(({ name: _name, ...record }) => record) })));
}

/** Makes `name` answer with a DNS error code (2 = SERVFAIL) instead of records. */
export const failName = (name: string, rcode = 2) => put(name, { rcode });

/** Makes `name` answer only after `delayMs`. */
export const delayName = (name: string, delayMs: number, ...records: Omit<StandInRecord, "name">[]) => put(name, { records, delayMs });

export const asStandIn = (record: DnsRecord): StandInRecord => ({ name: record.name, type: record.type, value: record.value });
