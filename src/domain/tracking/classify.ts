/**
 * What the edge can tell about a tracking hit alone, from the request and the token: a person, a mail provider's
 * image proxy, or a machine. Pure; every heuristic is documented in docs/tracking.md with its reason string. The
 * one heuristic that needs state (every link of a message clicked at once) runs in the event consumer.
 */

export type TrafficClass = "human" | "proxy" | "bot";

export interface Classification {
  traffic_class: TrafficClass;
  traffic_reason: string | null;
}

export interface HitFacts {
  eventType: "open" | "click";
  userAgent: string | null;
  /** The client address (CF-Connecting-IP): compared with published ranges here, never stored. */
  ip: string | null;
  occurredAt: Date;
  /** When the message was composed (from the token). */
  sentAt: Date | null;
  /** The hidden link no person sees. */
  trapLink: boolean;
}

/** A click this soon after the message was composed is a link scanner checking it on delivery, not a reader. */
export const SCANNER_CLICK_WINDOW_SECONDS = 10;

/** Security gateways that open links and images to inspect them. */
const SCANNER_AGENTS: [RegExp, string][] = [
  [/barracuda/i, "barracuda"],
  [/proofpoint|urldefense/i, "proofpoint"],
  [/mimecast/i, "mimecast"],
  [/safe ?links|microsoft atp|office 365 atp/i, "microsoft_safe_links"],
  [/messagelabs|symantec/i, "symantec"],
  [/trend ?micro/i, "trend_micro"],
  [/sophos/i, "sophos"],
  [/fireeye|trellix/i, "trellix"],
  [/forcepoint|websense/i, "forcepoint"],
  [/ironport|cisco/i, "cisco"],
  [/zscaler/i, "zscaler"],
];

/** Programs rather than people: headless browsers, HTTP libraries and crawlers. */
const AUTOMATED_AGENTS =
  /headlesschrome|phantomjs|puppeteer|playwright|selenium|webdriver|python-requests|python-urllib|aiohttp|curl\/|wget\/|go-http-client|okhttp|java\/|libwww|axios\/|node-fetch|undici|\bbot\b|bot\/|crawler|spider|slurp|preview/i;

/** Mail providers that fetch images for their users (the open is real, but not the reader's own). */
const PROXY_AGENTS: [RegExp, string][] = [
  [/googleimageproxy/i, "gmail_image_proxy"],
  [/yahoomailproxy/i, "yahoo_mail_proxy"],
  [/outlook.*image ?proxy|microsoft.*image ?proxy|ms-office.*proxy/i, "outlook_image_proxy"],
];

/** Apple Mail Privacy Protection fetches images with a bare Mozilla/5.0 agent. */
const APPLE_MPP_AGENT = /^Mozilla\/5\.0$/;

/** An IPv4 block: its first address and how many addresses it spans, worked out once when the module loads. */
interface Block {
  first: number;
  size: number;
}

/**
 * A dotted IPv4 address as a number, or null for anything else (four parts of one to three digits, each at most
 * 255). Read character by character: it runs on every tracking hit.
 */
function ipv4ToNumber(ip: string): number | null {
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < ip.length; i++) {
    const c = ip.charCodeAt(i);
    if (c === 0x2e) {
      if (digits === 0 || ++dots > 3) return null;
      value = value * 256 + part;
      part = 0;
      digits = 0;
    } else if (c >= 0x30 && c <= 0x39 && ++digits <= 3) {
      part = part * 10 + (c - 0x30);
      if (part > 255) return null;
    } else return null;
  }
  return dots === 3 && digits > 0 ? value * 256 + part : null;
}

function block(cidr: string): Block {
  const [network, bits] = cidr.split("/");
  const size = 2 ** (32 - Number(bits));
  const address = ipv4ToNumber(network);
  if (address === null || !(size >= 1)) throw new Error(`not an IPv4 block: ${cidr}`);
  return { first: Math.floor(address / size) * size, size };
}

const within = (address: number | null, { first, size }: Block) => address !== null && address >= first && address < first + size;

export function inRange(ip: string, cidr: string): boolean {
  return within(ipv4ToNumber(ip), block(cidr));
}

/** Published outbound ranges of link-scanning gateways (IPv4 only). */
const SCANNER_RANGES: [Block, string][] = (
  [
    ["64.235.144.0/20", "barracuda"],
    ["209.222.80.0/21", "barracuda"],
    ["148.163.128.0/19", "proofpoint"],
    ["67.231.144.0/20", "proofpoint"],
    ["205.139.110.0/24", "mimecast"],
    ["207.211.30.0/24", "mimecast"],
  ] as const
).map(([cidr, name]) => [block(cidr), name]);

/** Apple's own network (17.0.0.0/8), from which Mail Privacy Protection prefetches. */
const APPLE_RANGES = ["17.0.0.0/8"].map(block);

/** Exchange Online Protection: Outlook.com and Microsoft 365 fetch images and run Safe Links checks from here. */
const MICROSOFT_RANGES = ["40.92.0.0/15", "40.107.0.0/16", "52.100.0.0/14", "104.47.0.0/17"].map(block);

const bot = (reason: string): Classification => ({ traffic_class: "bot", traffic_reason: reason });
const proxy = (reason: string): Classification => ({ traffic_class: "proxy", traffic_reason: reason });
const HUMAN: Classification = { traffic_class: "human", traffic_reason: null };

/** What a user agent says by itself: the same for every hit it makes, so it is worked out once per agent. */
interface AgentFacts {
  scanner: string | null;
  proxy: string | null;
  appleMpp: boolean;
  automated: boolean;
}

function agentFacts(ua: string): AgentFacts {
  return {
    scanner: SCANNER_AGENTS.find(([pattern]) => pattern.test(ua))?.[1] ?? null,
    proxy: PROXY_AGENTS.find(([pattern]) => pattern.test(ua))?.[1] ?? null,
    appleMpp: APPLE_MPP_AGENT.test(ua),
    automated: AUTOMATED_AGENTS.test(ua),
  };
}

/**
 * Per isolate: mail is opened through few agents (each proxy and client has one), and testing every pattern above
 * against each hit was most of the classification's cost. Bounded in entries and in the length of agent it keeps.
 */
const knownAgents = new Map<string, AgentFacts>();
const KNOWN_AGENTS_LIMIT = 1000;
const KNOWN_AGENT_CHARS = 512;

function factsOf(ua: string): AgentFacts {
  let facts = knownAgents.get(ua);
  if (!facts) {
    facts = agentFacts(ua);
    if (ua.length <= KNOWN_AGENT_CHARS) {
      if (knownAgents.size >= KNOWN_AGENTS_LIMIT) knownAgents.clear();
      knownAgents.set(ua, facts);
    }
  }
  return facts;
}

export function classifyHit(hit: HitFacts): Classification {
  if (hit.trapLink) return bot("trap_link");
  const ua = hit.userAgent?.trim() ?? "";
  const agent = factsOf(ua);
  if (agent.scanner) return bot(`scanner_agent:${agent.scanner}`);
  // Parsed once per hit; an IPv6 or missing address is in none of the (IPv4) ranges.
  const ip = hit.ip ? ipv4ToNumber(hit.ip) : null;
  for (const [range, name] of SCANNER_RANGES) if (within(ip, range)) return bot(`scanner_range:${name}`);
  if (agent.proxy) return hit.eventType === "open" ? proxy(agent.proxy) : bot(`proxy_click:${agent.proxy}`);
  if (hit.eventType === "open" && (agent.appleMpp || APPLE_RANGES.some((range) => within(ip, range)))) return proxy("apple_mpp");
  if (MICROSOFT_RANGES.some((range) => within(ip, range))) {
    return hit.eventType === "open" ? proxy("outlook_image_proxy") : bot("scanner_range:microsoft_safe_links");
  }
  if (!ua) return bot("no_user_agent");
  if (agent.automated) return bot("automated_agent");
  if (hit.eventType === "click" && hit.sentAt) {
    const seconds = (hit.occurredAt.getTime() - hit.sentAt.getTime()) / 1000;
    if (seconds < SCANNER_CLICK_WINDOW_SECONDS) return bot("click_too_soon");
  }
  return HUMAN;
}
