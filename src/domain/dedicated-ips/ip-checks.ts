/**
 * Health checks of a dedicated sending IP: forward-confirmed reverse DNS (mailbox providers distrust an IP
 * whose PTR is missing or does not resolve back to it) and presence on DNS blocklists (RFC 5782).
 */
import type { BlacklistCheck } from "../../db/schema/infrastructure";
import { type DnsAnswer, type DnsResolver, sameName } from "../dns/doh-resolver";

export interface PtrCheck {
  verified: boolean;
  ptr: string[];
  reason: string | null;
}

export async function checkPtr(resolver: DnsResolver, ip: string, hostname: string | null): Promise<PtrCheck> {
  const address = parseIp(ip);
  if (!address) return { verified: false, ptr: [], reason: `${ip} is not an IPv4 or IPv6 address` };
  const reverse = await resolver.resolve(`${address.reversed}.${address.arpaZone}`, "PTR");
  if (reverse.status === "error") return { verified: false, ptr: [], reason: `PTR lookup failed: ${reverse.error}` };
  const ptr = reverse.values;
  if (ptr.length === 0) return { verified: false, ptr, reason: `${ip} has no PTR record` };
  if (!hostname) return { verified: false, ptr, reason: "No hostname is set for this IP to compare its PTR with" };
  if (!ptr.some((name) => sameName(name, hostname))) {
    return { verified: false, ptr, reason: `The PTR of ${ip} is ${ptr.join(", ")}, expected ${hostname}` };
  }
  return { ptr, ...(await confirmForward(resolver, address, hostname)) };
}

/** The second half of FCrDNS: the PTR's name must resolve back to the IP. */
async function confirmForward(resolver: DnsResolver, address: IpAddress, hostname: string) {
  const type = address.version === 4 ? "A" : "AAAA";
  const forward = await resolver.resolve(hostname, type);
  if (forward.status === "error") return { verified: false, reason: `${type} lookup of ${hostname} failed: ${forward.error}` };
  if (forward.values.some((value) => parseIp(value)?.canonical === address.canonical)) {
    return { verified: true, reason: null };
  }
  const found = forward.values.length > 0 ? forward.values.join(", ") : `no ${type} record`;
  return { verified: false, reason: `${hostname} resolves to ${found}, not ${address.canonical}` };
}

/**
 * Spamhaus answers 127.255.255.x for queries it will not answer: 252 a typo in the zone, 254 a query through a
 * public or open resolver, 255 too many queries. None of these say anything about the IP.
 */
const REFUSAL_REASONS: Record<string, string> = {
  "127.255.255.252": "the zone name is wrong",
  "127.255.255.254": "queries through public resolvers are refused; use a private resolver or a Spamhaus DQS zone",
  "127.255.255.255": "too many queries",
};

export async function checkBlocklists(resolver: DnsResolver, ip: string, zones: string[], now: Date): Promise<BlacklistCheck[]> {
  const checkedAt = now.toISOString();
  const address = parseIp(ip);
  if (!address) return zones.map((zone) => ({ zone, ...unknown(`${ip} is not an IP address`), checked_at: checkedAt }));
  return Promise.all(
    zones.map(async (zone) => ({
      zone,
      checked_at: checkedAt,
      ...judgeListing(await resolver.resolve(`${address.reversed}.${zone}`, "A")),
    })),
  );
}

type Listing = Pick<BlacklistCheck, "status" | "listed" | "detail">;

const unknown = (detail: string): Listing => ({ status: "unknown", listed: null, detail });

/** Only an answer the zone gave about the IP decides; an error, a refusal or a stray answer leaves it unknown. */
function judgeListing(answer: DnsAnswer): Listing {
  if (answer.status === "error") return unknown(`lookup failed: ${answer.error}`);
  // RFC 5782 §2.1: listed entries answer with an address in 127.0.0.0/8; the last octet carries the list's code.
  const codes = answer.values.filter((value) => /^127\.0\.0\.\d{1,3}$/.test(value));
  if (codes.length > 0) return { status: "listed", listed: true, detail: `listed: ${codes.join(", ")}` };
  const refusals = answer.values.filter((value) => value.startsWith("127.255.255."));
  if (refusals.length > 0) {
    const why = REFUSAL_REASONS[refusals[0]] ?? "the zone returned an error code";
    return unknown(`query refused (${refusals.join(", ")}): ${why}`);
  }
  if (answer.values.length > 0) return unknown(`unexpected answer: ${answer.values.join(", ")}`);
  return { status: "not_listed", listed: false };
}

export type BlocklistSummary = "listed" | "clean" | "unknown";

/**
 * One word for all zones: listed if any zone lists the IP; clean only when every zone was asked and answered
 * that it does not; otherwise (a zone could not be checked, or none was) unknown.
 */
export function summarizeBlocklists(checks: readonly BlacklistCheck[]): BlocklistSummary {
  if (checks.some((c) => c.status === "listed")) return "listed";
  return checks.length > 0 && checks.every((c) => c.status === "not_listed") ? "clean" : "unknown";
}

/**
 * A stored check in today's shape. Checks stored before `status` existed said listed: false for lookups that
 * failed or were refused, and only those carried a detail without being listed.
 */
export function blocklistCheckOf(stored: BlacklistCheck): BlacklistCheck {
  if (stored.status) return stored;
  if (stored.listed) return { ...stored, status: "listed", listed: true };
  return stored.detail ? { ...stored, status: "unknown", listed: null } : { ...stored, status: "not_listed", listed: false };
}

interface IpAddress {
  version: 4 | 6;
  /** Dotted quad, or the full lowercase form of an IPv6 address (8 groups of 4 hex digits). */
  canonical: string;
  /** How the address is written and stored: the dotted quad, or the RFC 5952 text of an IPv6 address. */
  presentation: string;
  /** 4 or 16 bytes, most significant first. */
  bytes: number[];
  /** The labels of the reverse name: octets (IPv4) or nibbles (IPv6), least significant first. */
  reversed: string;
  arpaZone: "in-addr.arpa" | "ip6.arpa";
}

export function parseIp(text: string): IpAddress | null {
  const value = text.trim();
  const v4 = parseIpv4(value);
  if (v4) {
    const dotted = v4.join(".");
    return {
      version: 4,
      canonical: dotted,
      presentation: dotted,
      bytes: v4,
      reversed: [...v4].reverse().join("."),
      arpaZone: "in-addr.arpa",
    };
  }
  const groups = parseIpv6(value);
  if (!groups) return null;
  const hex = groups.map((group) => group.toString(16).padStart(4, "0"));
  return {
    version: 6,
    canonical: hex.join(":"),
    presentation: rfc5952(groups),
    bytes: groups.flatMap((group) => [group >> 8, group & 0xff]),
    reversed: [...hex.join("")].reverse().join("."),
    arpaZone: "ip6.arpa",
  };
}

/** RFC 5952: lowercase, no leading zeros, the longest run of two or more zero groups (the first on a tie) as "::". */
function rfc5952(groups: number[]): string {
  let runStart = -1;
  let runLength = 1;
  for (let i = 0; i < groups.length; ) {
    let end = i;
    while (end < groups.length && groups[end] === 0) end++;
    if (end - i > runLength) [runStart, runLength] = [i, end - i];
    i = Math.max(end, i + 1);
  }
  const hex = groups.map((group) => group.toString(16));
  if (runStart < 0) return hex.join(":");
  return `${hex.slice(0, runStart).join(":")}::${hex.slice(runStart + runLength).join(":")}`;
}

/** Ranges no mailbox provider can reach a sending IP in; documentation ranges stay allowed for examples and tests. */
const UNROUTABLE: { version: 4 | 6; base: number[]; bits: number; what: string }[] = [
  { version: 4, base: [0], bits: 8, what: "an unspecified address (0.0.0.0/8)" },
  { version: 4, base: [10], bits: 8, what: "a private address (RFC 1918)" },
  { version: 4, base: [100, 64], bits: 10, what: "a shared carrier-grade NAT address (100.64.0.0/10)" },
  { version: 4, base: [127], bits: 8, what: "a loopback address" },
  { version: 4, base: [169, 254], bits: 16, what: "a link-local address" },
  { version: 4, base: [172, 16], bits: 12, what: "a private address (RFC 1918)" },
  { version: 4, base: [192, 168], bits: 16, what: "a private address (RFC 1918)" },
  { version: 4, base: [224], bits: 3, what: "a multicast or reserved address" },
  { version: 6, base: [], bits: 128, what: "the unspecified address" },
  { version: 6, base: [...new Array(15).fill(0), 1], bits: 128, what: "a loopback address" },
  { version: 6, base: [...new Array(10).fill(0), 0xff, 0xff], bits: 96, what: "an IPv4-mapped address: give the IPv4 address itself" },
  { version: 6, base: [0xfc], bits: 7, what: "a unique local address (fc00::/7)" },
  { version: 6, base: [0xfe, 0x80], bits: 10, what: "a link-local address" },
  { version: 6, base: [0xff], bits: 8, what: "a multicast address" },
];

function inRange(bytes: number[], base: number[], bits: number): boolean {
  for (let bit = 0; bit < bits; bit += 8) {
    const mask = (0xff << (8 - Math.min(8, bits - bit))) & 0xff;
    if ((bytes[bit / 8] & mask) !== ((base[bit / 8] ?? 0) & mask)) return false;
  }
  return true;
}

/** Why the text cannot be a dedicated sending IP, or null when it is a public IPv4 or IPv6 address. */
export function sendingIpProblem(text: string): string | null {
  const address = parseIp(text);
  if (!address) return "must be an IPv4 or IPv6 address";
  const range = UNROUTABLE.find((r) => r.version === address.version && inRange(address.bytes, r.base, r.bits));
  return range ? `is ${range.what}, which cannot send mail on the internet` : null;
}

function parseIpv4(value: string): number[] | null {
  const parts = value.split(".");
  if (parts.length !== 4 || !parts.every((part) => /^(?:0|[1-9]\d{0,2})$/.test(part))) return null;
  const octets = parts.map(Number);
  return octets.every((octet) => octet <= 255) ? octets : null;
}

/** The eight 16-bit groups of an IPv6 address, with "::" expanded and a trailing dotted quad folded in. */
function parseIpv6(value: string): number[] | null {
  if (!value.includes(":")) return null;
  const halves = value.toLowerCase().split("::");
  if (halves.length > 2) return null;
  const compressed = halves.length === 2;
  const head = parseGroups(halves[0], !compressed);
  const tail = compressed ? parseGroups(halves[1], true) : [];
  if (!head || !tail) return null;
  if (!compressed) return head.length === 8 ? head : null;
  const zeros = 8 - head.length - tail.length;
  return zeros >= 1 ? [...head, ...new Array<number>(zeros).fill(0), ...tail] : null;
}

/** Colon-separated hex groups; the last one of the address may be an embedded IPv4 address (two groups). */
function parseGroups(text: string, endsAddress: boolean): number[] | null {
  if (text === "") return [];
  const parts = text.split(":");
  const groups: number[] = [];
  for (const [i, part] of parts.entries()) {
    const v4 = endsAddress && i === parts.length - 1 && part.includes(".") ? parseIpv4(part) : undefined;
    if (v4) groups.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
    else if (/^[0-9a-f]{1,4}$/.test(part)) groups.push(Number.parseInt(part, 16));
    else return null;
  }
  return groups;
}
