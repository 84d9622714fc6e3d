/** The DNS records a sending domain publishes before Flarecast sends from it. */
import type { DnsRecord } from "../../db/schema/infrastructure";
import { quoteTxtStrings, splitTxtValue } from "../dns/txt";
import { dkimRecordValue } from "./dkim";
import type { ReturnPath } from "./provider-dns";

export interface DomainDnsRecords {
  spf: DnsRecord;
  dkim: DnsRecord;
  dmarc: DnsRecord;
  return_path: DnsRecord;
}

export interface DnsRecordsInput {
  domain: string;
  dkimSelector: string;
  dkimPublicKey: string;
  spfIncludes: string[];
  returnPath: ReturnPath;
  /**
   * Where aggregate DMARC reports go. An address outside the domain only receives them once its own domain
   * publishes the authorisation record of RFC 7489 §7.1.
   */
  dmarcReportEmail?: string;
}

/** An MX for a return path needs a preference; there is only one host, so any value works. */
export const RETURN_PATH_MX_PREFERENCE = 10;

export function buildDnsRecords(input: DnsRecordsInput): DomainDnsRecords {
  const domain = normalizeDomain(input.domain);
  return {
    spf: { type: "TXT", name: domain, value: spfValue(input.spfIncludes) },
    dkim: {
      type: "TXT",
      name: `${input.dkimSelector}._domainkey.${domain}`,
      value: quoteTxtStrings(splitTxtValue(dkimRecordValue(input.dkimPublicKey))),
    },
    dmarc: { type: "TXT", name: `_dmarc.${domain}`, value: dmarcValue(input.dmarcReportEmail) },
    return_path: returnPathRecord(input.returnPath),
  };
}

/** Lowercase and without the root's trailing dot, as names are shown to people and compared. */
export const normalizeDomain = (domain: string) => domain.trim().toLowerCase().replace(/\.$/, "");

function spfValue(includes: readonly string[]): string {
  const unique = [...new Set(includes.map(normalizeDomain))];
  // Without a provider to include (a plain SMTP relay), the domain's own mail servers are the likely senders.
  const mechanisms = unique.length > 0 ? unique.map((include) => `include:${include}`) : ["mx"];
  // ~all (softfail) rather than -all: mail from servers the domain forgot to list is marked, not dropped.
  return ["v=spf1", ...mechanisms, "~all"].join(" ");
}

function dmarcValue(reportEmail: string | undefined): string {
  // p=none only monitors: a new domain starts there and moves to quarantine or reject once reports look clean.
  return reportEmail ? `v=DMARC1; p=none; rua=mailto:${reportEmail}` : "v=DMARC1; p=none";
}

function returnPathRecord(returnPath: ReturnPath): DnsRecord {
  const name = normalizeDomain(returnPath.name);
  const target = normalizeDomain(returnPath.target);
  return returnPath.type === "MX"
    ? { type: "MX", name, value: `${RETURN_PATH_MX_PREFERENCE} ${target}` }
    : { type: "CNAME", name, value: target };
}
