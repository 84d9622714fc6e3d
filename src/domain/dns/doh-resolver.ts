/**
 * DNS over HTTPS through the JSON API that Cloudflare (https://cloudflare-dns.com/dns-query) and Google
 * (https://dns.google/resolve) serve: GET ?name=&type= with `accept: application/dns-json`. Workers cannot open
 * UDP sockets, so this is how the Worker reads DNS.
 */
import { z } from "zod";
import { parseTxtStrings } from "./txt";

export type DnsRecordType = "A" | "AAAA" | "TXT" | "CNAME" | "MX" | "PTR";

export interface DnsAnswer {
  status: "ok" | "nxdomain" | "error";
  /** TXT: each record's character-strings unquoted and concatenated; CNAME/PTR: names without the trailing dot */
  values: string[];
  error?: string;
}

export interface DnsResolver {
  resolve(name: string, type: DnsRecordType): Promise<DnsAnswer>;
}

export interface DohOptions {
  fetch?: typeof fetch;
  timeoutMs?: number;
}

export const DNS_TYPE_CODES: Record<DnsRecordType, number> = { A: 1, CNAME: 5, PTR: 12, MX: 15, TXT: 16, AAAA: 28 };

/** RFC 1035 §4.1.1 and RFC 6895 response codes a resolver is likely to send; 0 and 3 are answers, not errors. */
const RCODE_NAMES: Record<number, string> = { 1: "FORMERR", 2: "SERVFAIL", 4: "NOTIMP", 5: "REFUSED" };

const DEFAULT_TIMEOUT_MS = 5_000;

const DohResponseSchema = z.object({
  Status: z.number().int(),
  Answer: z.array(z.object({ name: z.string(), type: z.number().int(), data: z.string() })).optional(),
});

export function dohResolver(resolverUrl: string, options: DohOptions = {}): DnsResolver {
  // Called through a closure: workerd rejects a global fetch invoked as a method of another object.
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init));
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return {
    async resolve(name, type) {
      const url = new URL(resolverUrl);
      url.searchParams.set("name", name);
      url.searchParams.set("type", type);
      try {
        const response = await doFetch(url, {
          headers: { accept: "application/dns-json" },
          signal: AbortSignal.timeout(timeoutMs),
        });
        if (!response.ok) {
          await response.body?.cancel();
          return failure(`resolver answered HTTP ${response.status}`);
        }
        return toAnswer(await response.json(), type);
      } catch (error) {
        return failure(describeError(error, timeoutMs));
      }
    },
  };
}

function toAnswer(body: unknown, type: DnsRecordType): DnsAnswer {
  const parsed = DohResponseSchema.safeParse(body);
  if (!parsed.success) return failure("resolver sent a response that is not DNS JSON");
  const { Status, Answer = [] } = parsed.data;
  if (Status === 3) return { status: "nxdomain", values: [] };
  if (Status !== 0) return failure(`resolver answered ${RCODE_NAMES[Status] ?? `rcode ${Status}`}`);
  // The answer section also carries the CNAMEs the resolver followed to get there; only the asked type counts.
  const values = Answer.filter((record) => record.type === DNS_TYPE_CODES[type]).map((record) => presentValue(type, record.data));
  return { status: "ok", values };
}

function presentValue(type: DnsRecordType, data: string): string {
  switch (type) {
    case "TXT":
      return parseTxtStrings(data).join("");
    case "CNAME":
    case "PTR":
    case "MX":
      return withoutTrailingDot(data.trim());
    default:
      return data.trim();
  }
}

export const withoutTrailingDot = (name: string) => (name.endsWith(".") ? name.slice(0, -1) : name);

/** Names compare case-insensitively (RFC 4343) and with or without the root's trailing dot. */
export const sameName = (a: string, b: string) => withoutTrailingDot(a.trim()).toLowerCase() === withoutTrailingDot(b.trim()).toLowerCase();

function describeError(error: unknown, timeoutMs: number): string {
  if ((error as { name?: unknown } | null)?.name === "TimeoutError") return `resolver did not answer within ${timeoutMs} ms`;
  if (error instanceof SyntaxError) return "resolver sent a response that is not JSON";
  return `resolver unreachable: ${error instanceof Error ? error.message : String(error)}`;
}

const failure = (error: string): DnsAnswer => ({ status: "error", values: [], error });
