/**
 * A local stand-in of Cloudflare's DNS-over-HTTPS JSON API, so DNS checks run without reaching a real resolver.
 * Vitest runs this in Node before the workers project; the Worker finds it through the DNS_RESOLVER_URL binding.
 *
 *   GET  /dns-query?name=&type=   answers as https://cloudflare-dns.com/dns-query does with accept:
 *                                 application/dns-json: Status 0 or 3, Answer[] of {name, type, TTL, data},
 *                                 names with the trailing dot, TXT data as quoted character-strings.
 *   PUT  /names/<name>            replaces what <name> answers (test/stand-ins/doh-zone.ts wraps it), body
 *                                 {records: [{type, value | strings, ttl?}], rcode?, delayMs?}
 *   DELETE /names/<name>          forgets the name
 *
 * Tests use names of their own (random labels under example.test), so they never see each other's records.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";

const TYPE_CODES: Record<string, number> = { A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, MX: 15, TXT: 16, AAAA: 28 };
const NAME_TYPES = new Set(["CNAME", "NS", "PTR"]);
const MAX_CNAME_HOPS = 8;
const DEFAULT_TTL = 300;

interface StoredRecord {
  type: string;
  data: string;
  ttl: number;
}

interface NameEntry {
  records: StoredRecord[];
  /** Answer with this response code instead of the records, e.g. 2 (SERVFAIL). */
  rcode?: number;
  /** Hold the answer this long, to test timeouts. */
  delayMs?: number;
}

interface RecordInput {
  type: string;
  /** As a person pastes it into a DNS UI: for TXT either `"a" "b"` or unquoted text. */
  value?: string;
  /** TXT only: the exact character-strings. */
  strings?: string[];
  ttl?: number;
}

class BadRequest extends Error {}

const normalize = (name: string) => name.trim().toLowerCase().replace(/\.$/, "");
const fqdn = (name: string) => (name.endsWith(".") ? name : `${name}.`);

/** How Cloudflare prints TXT data: every character-string quoted, `"` and `\` escaped, separated by spaces. */
const presentTxt = (strings: string[]) => strings.map((s) => `"${s.replace(/["\\]/g, "\\$&")}"`).join(" ");

/**
 * What a DNS UI stores for a pasted TXT value: quoted strings as written, or unquoted text cut into strings of
 * 255 characters (Cloudflare's dashboard does the same for long values).
 */
function pastedTxtStrings(value: string): string[] {
  const text = value.trim();
  if (text.startsWith('"')) {
    return [...text.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((match) => match[1].replace(/\\(.)/g, "$1"));
  }
  const strings: string[] = [];
  for (let i = 0; i < text.length; i += 255) strings.push(text.slice(i, i + 255));
  return strings.length > 0 ? strings : [""];
}

function toStored(input: RecordInput): StoredRecord {
  const type = String(input.type).toUpperCase();
  if (!(type in TYPE_CODES)) throw new BadRequest(`unsupported type ${input.type}`);
  const ttl = input.ttl ?? DEFAULT_TTL;
  if (type === "TXT") return { type, ttl, data: presentTxt(input.strings ?? pastedTxtStrings(input.value ?? "")) };
  if (input.value === undefined) throw new BadRequest(`${type} record needs a value`);
  const value = input.value.trim();
  if (NAME_TYPES.has(type)) return { type, ttl, data: fqdn(value) };
  if (type === "MX") {
    const [preference, exchange] = value.split(/\s+/);
    return { type, ttl, data: `${preference} ${fqdn(exchange)}` };
  }
  return { type, ttl, data: value };
}

function lookup(names: Map<string, NameEntry>, qname: string, qtype: number) {
  const answer: { name: string; type: number; TTL: number; data: string }[] = [];
  let current = normalize(qname);
  for (let hop = 0; hop <= MAX_CNAME_HOPS; hop++) {
    const entry = names.get(current);
    // A name with names below it exists even without records of its own (an "empty non-terminal").
    if (!entry) return { Status: hasDescendants(names, current) ? 0 : 3, Answer: answer };
    if (entry.rcode !== undefined) return { Status: entry.rcode, Answer: answer };
    const cname = entry.records.find((record) => record.type === "CNAME");
    // Like a recursive resolver, follow a CNAME for any other type and return the chain with the answer.
    const matches = cname && qtype !== TYPE_CODES.CNAME ? [cname] : entry.records.filter((r) => TYPE_CODES[r.type] === qtype);
    answer.push(...matches.map((r) => ({ name: fqdn(current), type: TYPE_CODES[r.type], TTL: r.ttl, data: r.data })));
    if (!cname || qtype === TYPE_CODES.CNAME) return { Status: 0, Answer: answer };
    current = normalize(cname.data);
  }
  return { Status: 2, Answer: [] };
}

const hasDescendants = (names: Map<string, NameEntry>, name: string) => [...names.keys()].some((other) => other.endsWith(`.${name}`));

function queryType(type: string | null): number | null {
  if (type === null) return TYPE_CODES.A;
  if (/^\d+$/.test(type)) return Number(type);
  return TYPE_CODES[type.toUpperCase()] ?? null;
}

async function answerQuery(names: Map<string, NameEntry>, url: URL, request: IncomingMessage, response: ServerResponse) {
  const wantsJson =
    (request.headers.accept ?? "").includes("application/dns-json") || url.searchParams.get("ct") === "application/dns-json";
  const name = url.searchParams.get("name");
  const type = queryType(url.searchParams.get("type"));
  // Cloudflare answers a request without the JSON media type as DNS wire format, and refuses a malformed one.
  if (!wantsJson || !name || type === null) return sendJson(response, 400, { error: "Invalid query" });
  const delayMs = names.get(normalize(name))?.delayMs;
  if (delayMs) await new Promise((resolve) => setTimeout(resolve, delayMs));
  const { Status, Answer } = lookup(names, name, type);
  const body = {
    Status,
    TC: false,
    RD: true,
    RA: true,
    AD: false,
    CD: false,
    Question: [{ name: fqdn(name), type }],
    ...(Answer.length > 0 ? { Answer } : {}),
  };
  response.writeHead(200, { "content-type": "application/dns-json" }).end(JSON.stringify(body));
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
  } catch {
    throw new BadRequest("body is not JSON");
  }
}

async function control(names: Map<string, NameEntry>, method: string, name: string, request: IncomingMessage) {
  const key = normalize(decodeURIComponent(name));
  if (method === "DELETE") return void names.delete(key);
  if (method !== "PUT") throw new BadRequest(`${method} is not supported on /names`);
  const body = (await readJson(request)) as { records?: RecordInput[]; rcode?: number; delayMs?: number };
  names.set(key, { records: (body.records ?? []).map(toStored), rcode: body.rcode, delayMs: body.delayMs });
}

function sendJson(response: ServerResponse, status: number, body: unknown) {
  response.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}

async function handle(names: Map<string, NameEntry>, request: IncomingMessage, response: ServerResponse) {
  const url = new URL(request.url ?? "/", "http://stand-in");
  const method = request.method ?? "GET";
  try {
    if (url.pathname === "/dns-query" && method === "GET") return await answerQuery(names, url, request, response);
    const namePath = /^\/names\/([^/]+)$/.exec(url.pathname);
    if (namePath) {
      await control(names, method, namePath[1], request);
      return void response.writeHead(204).end();
    }
    sendJson(response, 404, { error: `no route for ${method} ${url.pathname}` });
  } catch (error) {
    sendJson(response, error instanceof BadRequest ? 400 : 500, { error: String(error) });
  }
}

export default async function setup(): Promise<() => Promise<void>> {
  const port = Number(process.env.FLARECAST_DOH_PORT);
  if (!Number.isInteger(port) || port <= 0) throw new Error("FLARECAST_DOH_PORT is not set (vitest.config.ts picks it)");
  const names = new Map<string, NameEntry>();
  const server = createServer((request, response) => void handle(names, request, response));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", resolve);
  });
  return () =>
    new Promise<void>((resolve) => {
      // workerd keeps connections alive; without this close() would wait for them to time out.
      server.closeAllConnections();
      server.close(() => resolve());
    });
}
