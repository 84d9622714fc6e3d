/**
 * Checks a sending domain's published DNS against the records we asked for, the way receivers read them:
 * SPF per RFC 7208, the DKIM key record per RFC 6376, DMARC per RFC 7489. Each check says what it found, so
 * a person can fix the record without a second tool.
 */
import type { DnsRecord } from "../../db/schema/infrastructure";
import { type DnsAnswer, type DnsResolver, sameName } from "../dns/doh-resolver";
import { type DomainDnsRecords, normalizeDomain } from "./dns-records";

export type RecordName = "spf" | "dkim" | "dmarc" | "return_path";

export interface RecordCheck {
  record: RecordName;
  status: "pass" | "fail" | "missing" | "error";
  expected: string;
  found: string[];
  reason: string | null;
}

export interface DomainVerification {
  /** verified: every check passed. failed: a record is missing or wrong. verifying: only lookups failed, retry. */
  status: "verified" | "failed" | "verifying";
  checks: RecordCheck[];
  checked_at: string;
}

export interface VerifyDomainInput {
  domain: string;
  records: DomainDnsRecords;
  dkimPublicKey: string;
  spfIncludes: string[];
}

export async function verifyDomain(resolver: DnsResolver, input: VerifyDomainInput, now: Date): Promise<DomainVerification> {
  const { records } = input;
  const checks = await Promise.all([
    checkSpf(resolver, records.spf, input.spfIncludes),
    checkDkim(resolver, records.dkim, input.dkimPublicKey),
    checkDmarc(resolver, records.dmarc),
    checkReturnPath(resolver, records.return_path),
  ]);
  return { status: overallStatus(checks), checks, checked_at: now.toISOString() };
}

function overallStatus(checks: readonly RecordCheck[]): DomainVerification["status"] {
  if (checks.some((check) => check.status === "fail" || check.status === "missing")) return "failed";
  if (checks.some((check) => check.status === "error")) return "verifying";
  return "verified";
}

type Outcome = Omit<RecordCheck, "record" | "expected">;

const quoted = (values: readonly string[]) => values.map((value) => `"${value}"`).join(", ");

const pass = (found: string[]): Outcome => ({ status: "pass", found, reason: null });
const fail = (found: string[], reason: string): Outcome => ({ status: "fail", found, reason });
const missing = (found: string[], reason: string): Outcome => ({ status: "missing", found, reason });

/** Looks a record up and hands its values to `judge`, or reports the lookup failure as a transient error. */
async function check(
  resolver: DnsResolver,
  record: RecordName,
  expected: DnsRecord,
  judge: (values: string[]) => Outcome,
): Promise<RecordCheck> {
  const answer: DnsAnswer = await resolver.resolve(expected.name, expected.type);
  const outcome =
    answer.status === "error"
      ? { status: "error" as const, found: [], reason: `DNS lookup of ${expected.name} failed: ${answer.error}` }
      : judge(answer.values);
  return { record, expected: expected.value, ...outcome };
}

// SPF

const isSpfRecord = (value: string) => /^v=spf1(?:\s|$)/i.test(value.trim());

function checkSpf(resolver: DnsResolver, expected: DnsRecord, requiredIncludes: readonly string[]) {
  return check(resolver, "spf", expected, (values) => {
    const spf = values.filter(isSpfRecord);
    if (spf.length === 0) return missing(spf, `No SPF record (v=spf1) at ${expected.name}; publish "${expected.value}"`);
    if (spf.length > 1) {
      return fail(
        spf,
        `${spf.length} SPF records at ${expected.name} (${quoted(spf)}); RFC 7208 allows exactly one, so ` +
          `receivers treat the domain's SPF as broken. Merge them into one that contains ${includeList(requiredIncludes)}`,
      );
    }
    const authorised = authorisedIncludes(spf[0]);
    const lacking = requiredIncludes.filter((include) => !authorised.has(normalizeDomain(include)));
    if (lacking.length > 0) {
      return fail(spf, `The SPF record at ${expected.name} is "${spf[0]}"; it must contain ${includeList(lacking)}`);
    }
    return pass(spf);
  });
}

const includeList = (includes: readonly string[]) => includes.map((include) => `include:${include}`).join(" ");

/**
 * The include: targets that can authorise a sender: qualifier "+" (or none), and before any "all", since
 * evaluation stops at "all" and mechanisms after it are never tried (RFC 7208 §5.1).
 */
function authorisedIncludes(record: string): Set<string> {
  const includes = new Set<string>();
  for (const term of record.trim().split(/\s+/).slice(1)) {
    if (/^[+?~-]?all$/i.test(term)) break;
    const include = /^\+?include:(.+)$/i.exec(term);
    if (include) includes.add(normalizeDomain(include[1]));
  }
  return includes;
}

// DKIM

function checkDkim(resolver: DnsResolver, expected: DnsRecord, publicKey: string) {
  return check(resolver, "dkim", expected, (values) => {
    if (values.length === 0) return missing(values, `No DKIM key record (TXT) at ${expected.name}`);
    if (values.length > 1) {
      return fail(values, `${values.length} TXT records at ${expected.name}; receivers may use any of them, keep only the DKIM key`);
    }
    const problem = dkimKeyProblem(values[0], publicKey);
    return problem ? fail(values, `${problem} (at ${expected.name})`) : pass(values);
  });
}

function dkimKeyProblem(record: string, publicKey: string): string | null {
  const tags = parseTagList(record);
  if (!tags) return "The DKIM record is not a valid tag list (tag=value; …)";
  const version = tags.get("v");
  if (version !== undefined && version !== "DKIM1") return `The DKIM record has v=${version}, expected v=DKIM1`;
  const keyType = tags.get("k");
  if (keyType !== undefined && keyType.toLowerCase() !== "rsa") return `The DKIM key type is k=${keyType}, expected k=rsa`;
  const published = tags.get("p");
  if (published === undefined) return "The DKIM record has no public key (p=)";
  // Base64 may be folded with whitespace (RFC 6376 §3.6.1), and long records are split into several strings.
  const key = published.replace(/\s+/g, "");
  if (key === "") return "The DKIM key is revoked (empty p=)";
  if (key !== publicKey) return `DKIM key does not match: found p=${abbreviate(key)}, expected p=${abbreviate(publicKey)}`;
  return null;
}

/** The key's tail differs between keys of the same size; its head is the same DER prefix for all of them. */
const abbreviate = (key: string) => (key.length > 24 ? `…${key.slice(-16)}` : key);

/**
 * A DKIM/DMARC tag list (RFC 6376 §3.2): `name=value` separated by ";", whitespace around both allowed.
 * Null when it is malformed or names a tag twice, which RFC 6376 says invalidates the whole record.
 */
export function parseTagList(record: string): Map<string, string> | null {
  const tags = new Map<string, string>();
  for (const spec of record.split(";")) {
    if (spec.trim() === "") continue;
    const match = /^\s*([A-Za-z][A-Za-z0-9_]*)\s*=([\s\S]*)$/.exec(spec);
    if (!match || tags.has(match[1])) return null;
    tags.set(match[1], match[2].trim());
  }
  return tags;
}

// DMARC

/** RFC 7489 §6.4: the record starts with v=DMARC1, and the version is case-sensitive. */
const isDmarcRecord = (value: string) => /^v\s*=\s*DMARC1\s*(?:;|$)/.test(value.trim());
const DMARC_POLICIES = new Set(["none", "quarantine", "reject"]);

function checkDmarc(resolver: DnsResolver, expected: DnsRecord) {
  return check(resolver, "dmarc", expected, (values) => {
    const dmarc = values.filter(isDmarcRecord);
    if (dmarc.length === 0) {
      const others = values.length > 0 ? ` (found only ${quoted(values)})` : "";
      return missing(values, `No DMARC record (v=DMARC1) at ${expected.name}${others}; publish "${expected.value}"`);
    }
    if (dmarc.length > 1) {
      return fail(
        values,
        `${dmarc.length} DMARC records at ${expected.name} (${quoted(dmarc)}); receivers then apply none (RFC 7489 §6.6.3), keep one`,
      );
    }
    const policy = parseTagList(dmarc[0])?.get("p");
    if (policy === undefined) return fail(values, `The DMARC record "${dmarc[0]}" has no policy; add p=none`);
    if (!DMARC_POLICIES.has(policy.toLowerCase())) {
      return fail(values, `The DMARC policy is p=${policy}; it must be none, quarantine or reject`);
    }
    return pass(values);
  });
}

// Return path

function checkReturnPath(resolver: DnsResolver, expected: DnsRecord) {
  const target = returnPathTarget(expected);
  return check(resolver, "return_path", expected, (values) => {
    if (values.length === 0) {
      return missing(values, `No ${expected.type} record at ${expected.name}; it should point to ${target}`);
    }
    const hosts = expected.type === "MX" ? values.map(mxExchange) : values;
    if (hosts.some((host) => sameName(host, target))) return pass(values);
    return fail(values, `${expected.name} points to ${hosts.join(", ")}, expected ${target}`);
  });
}

/** The host a return-path record names: the value of a CNAME, the exchange of an MX ("10 host"). */
function returnPathTarget(record: DnsRecord): string {
  return record.type === "MX" ? mxExchange(record.value) : record.value;
}

const mxExchange = (value: string) => value.trim().split(/\s+/).pop() ?? "";
