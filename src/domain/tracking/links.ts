import type { SigningKeys } from "../../lib/signing";
import { signClickToken, signPixelToken, TRAP_LINK_INDEX, type TrackedMessage } from "./tokens";

/**
 * The URL a click token may redirect to, normalized, or null: only absolute http(s) URLs with a host. Anything
 * else (javascript:, data:, protocol-relative, relative, a malformed URL) is never followed.
 */
export function redirectTarget(url: string): string | null {
  if (!/^https?:\/\//i.test(url)) return null;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if ((parsed.protocol !== "http:" && parsed.protocol !== "https:") || !parsed.hostname) return null;
  return parsed.href;
}

/** `https://{domain}`, or `http://` for a local domain (wrangler dev and tests serve plain HTTP). */
export function trackingBaseUrl(trackingDomain: string): string {
  const host = trackingDomain.replace(/^https?:\/\//i, "").replace(/\/+$/, "");
  const local = /^(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$/i.test(host);
  return `${local ? "http" : "https"}://${host}`;
}

export const pixelPath = (token: string) => `/t/p/${token}.gif`;
export const clickPath = (token: string) => `/t/c/${token}`;

export interface TrackingOptions {
  keys: SigningKeys;
  /** EMAIL_TRACKING_DOMAIN. */
  trackingDomain: string;
  message: TrackedMessage;
  /** Links starting with any of these stay as they are: the subscriber's unsubscribe and preference links. */
  untrackedPrefixes: readonly string[];
}

const NAMED_ENTITIES: Record<string, string> = { amp: "&", quot: '"', apos: "'", lt: "<", gt: ">" };

/** The attribute value as a browser reads it: the character references a renderer writes for `&` and quotes. */
function decodeAttribute(value: string): string {
  return value.replace(/&(?:#x([0-9a-f]+)|#(\d+)|([a-z]+));?/gi, (match, hex, dec, name) => {
    if (hex) return String.fromCodePoint(Number.parseInt(hex, 16));
    if (dec) return String.fromCodePoint(Number.parseInt(dec, 10));
    return NAMED_ENTITIES[name.toLowerCase()] ?? match;
  });
}

const LINK_TAG = /<(a|area)\b[^>]*>/gi;
const HREF = /(\shref\s*=\s*)(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+))/i;

/**
 * The HTML of one recipient's message with tracking: every http(s) link of an `<a>` or `<area>` points at a
 * signed click URL carrying the original, a 1×1 pixel and a hidden trap link are added before `</body>` (or at
 * the end). Left alone: unsubscribe and preference links, `mailto:`, `tel:`, anchors and every other scheme.
 * One HMAC per link, one for the pixel and one for the trap link.
 */
export async function addTracking(html: string, options: TrackingOptions): Promise<string> {
  const { keys, message } = options;
  const base = trackingBaseUrl(options.trackingDomain);
  const rewrites: { start: number; end: number; replacement: Promise<string> }[] = [];
  let linkIndex = 0;
  for (const tag of html.matchAll(LINK_TAG)) {
    const href = HREF.exec(tag[0]);
    if (!href) continue;
    const url = decodeAttribute((href[2] ?? href[3] ?? href[4]).trim());
    if (!redirectTarget(url) || options.untrackedPrefixes.some((prefix) => prefix && url.startsWith(prefix))) continue;
    const start = tag.index + href.index;
    const index = linkIndex++;
    rewrites.push({
      start,
      end: start + href[0].length,
      // A URL too long for a token (about 3 KB) keeps its link untracked rather than failing the send.
      replacement: signClickToken(keys, message, index, url).then(
        (token) => `${href[1]}"${base}${clickPath(token)}"`,
        () => href[0],
      ),
    });
  }
  const [pixel, trap, ...replacements] = await Promise.all([
    signPixelToken(keys, message),
    signClickToken(keys, message, TRAP_LINK_INDEX, ""),
    ...rewrites.map((r) => r.replacement),
  ]);
  let out = "";
  let at = 0;
  rewrites.forEach((r, i) => {
    out += html.slice(at, r.start) + replacements[i];
    at = r.end;
  });
  out += html.slice(at);
  const extra =
    `<a href="${base}${clickPath(trap)}" style="display:none" aria-hidden="true" tabindex="-1"></a>` +
    `<img src="${base}${pixelPath(pixel)}" width="1" height="1" alt="" style="display:none">`;
  const bodyEnd = out.toLowerCase().lastIndexOf("</body");
  return bodyEnd === -1 ? out + extra : out.slice(0, bodyEnd) + extra + out.slice(bodyEnd);
}

/** Tracking is on for a send when the campaign wants it and the provider carrying it has not turned it off. */
export function trackingApplies(
  campaign: { tracking_enabled: boolean },
  provider: { settings: { tracking_enabled?: boolean } | null } | undefined,
): boolean {
  return campaign.tracking_enabled && provider?.settings?.tracking_enabled !== false;
}
