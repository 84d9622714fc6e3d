/**
 * Preference-center tokens: the capability in /preferences/{token} and in the List-Unsubscribe URL.
 *
 * A token names a workspace, a subscriber and (optionally) the campaign whose email carried it, and binds the
 * subscriber's random `preference_token`, so rotating that column revokes every link issued before. Nothing in
 * it is readable: the claims are encrypted, and the whole token is authenticated with HMAC-SHA-256.
 *
 * Construction (SIV, "synthetic IV": encrypt with an IV that is the MAC of the plaintext):
 *
 *   token  = base64url( version ‖ kid ‖ siv ‖ AES-CTR(encKey, counter = siv, claims) )
 *   siv    = first 16 bytes of HMAC-SHA-256(macKey, version ‖ kid ‖ claims)
 *
 * - version: 1 byte (1). kid: 4 bytes, the first 8 hex of SHA-256(signing secret), so verification picks the key
 *   by id and keys can rotate without breaking mail already sent.
 * - encKey and macKey are derived from TRACKING_SIGNING_KEY with HKDF-SHA-256 under labels of their own (by
 *   src/lib/signing.ts, which also picks the key by id and handles rotation), so a token minted for another
 *   purpose with the same secret (tracking pixels, click links) is never accepted here.
 * - Verifying decrypts with the IV found in the token, recomputes the MAC over the plaintext and compares it with
 *   that IV in constant time. Any altered bit, a foreign key or a made-up token fails; the caller learns only
 *   "not valid".
 * - Deterministic: the same claims give the same token, so a recipient's links are stable and nothing random has
 *   to be stored. Equal tokens reveal only that the claims are equal, which the URL already shows.
 * - Base64url must be canonical (it is re-encoded and compared), so flipping the spare bits of the last
 *   character does not yield a second valid spelling of the same token.
 *
 * Tokens do not expire: unsubscribe links must keep working long after the send (CAN-SPAM asks for 30 days at
 * least; mailbox providers keep List-Unsubscribe URLs around for longer). Revocation is per subscriber (rotate
 * `preference_token`) or global (retire a signing key).
 *
 * Only WebCrypto is used, so this module runs in workerd and in Node alike.
 */
import { bytesToBase64Url } from "../../lib/encoding";
import {
  canonicalBase64UrlToBytes,
  currentSecret,
  KID_BYTES,
  type SigningKeys,
  type SigningSecret,
  secretsWithId,
  timingSafeEqual,
} from "../../lib/signing";

export { keyId, type SigningKeys } from "../../lib/signing";

export interface PreferenceTokenClaims {
  workspaceId: string;
  subscriberId: string;
  /** The subscriber's random `preference_token` at the time of issue. */
  preferenceToken: string;
  campaignId: string | null;
}

export interface TokenSubscriber {
  id: string;
  preference_token: string;
}

export interface TokenTarget {
  workspaceId: string;
  subscriber: TokenSubscriber;
  campaignId?: string | null;
}

const VERSION = 1;
const SIV_BYTES = 16;
const HEADER_BYTES = 1 + KID_BYTES;
/** Far above any real token (about 190 characters with a campaign); longer input is refused before decoding. */
const MAX_TOKEN_LENGTH = 512;
const MAC_LABEL = "flarecast/preference-token/v1/mac";
const ENC_LABEL = "flarecast/preference-token/v1/enc";

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Claims as length-prefixed UTF-8 fields: workspace id, subscriber id, preference token, campaign id ("" = none). */
function encodeClaims(claims: PreferenceTokenClaims): Uint8Array {
  const fields = [claims.workspaceId, claims.subscriberId, claims.preferenceToken, claims.campaignId ?? ""].map((f) => encoder.encode(f));
  const out = new Uint8Array(fields.reduce((n, f) => n + 1 + f.length, 0));
  let at = 0;
  for (const field of fields) {
    if (field.length > 255) throw new Error("preference token claim longer than 255 bytes");
    out[at++] = field.length;
    out.set(field, at);
    at += field.length;
  }
  return out;
}

function decodeClaims(bytes: Uint8Array): PreferenceTokenClaims | null {
  const fields: string[] = [];
  let at = 0;
  while (at < bytes.length && fields.length < 4) {
    const length = bytes[at++];
    if (at + length > bytes.length) return null;
    try {
      fields.push(decoder.decode(bytes.subarray(at, at + length)));
    } catch {
      return null;
    }
    at += length;
  }
  if (fields.length !== 4 || at !== bytes.length) return null;
  const [workspaceId, subscriberId, preferenceToken, campaignId] = fields;
  if (!workspaceId || !subscriberId || !preferenceToken) return null;
  return { workspaceId, subscriberId, preferenceToken, campaignId: campaignId || null };
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

async function syntheticIv(secret: SigningSecret, header: Uint8Array, plaintext: Uint8Array): Promise<Uint8Array> {
  const mac = await crypto.subtle.sign("HMAC", await secret.hmacKey(MAC_LABEL), concat(header, plaintext));
  return new Uint8Array(mac).subarray(0, SIV_BYTES);
}

const aesCtr = (counter: Uint8Array) => ({ name: "AES-CTR", counter, length: 64 });

/** Mints a token with the current signing key. */
export async function signPreferenceToken(keys: SigningKeys, claims: PreferenceTokenClaims): Promise<string> {
  const secret = await currentSecret(keys);
  const header = concat(Uint8Array.of(VERSION), secret.kid);
  const plaintext = encodeClaims(claims);
  const siv = await syntheticIv(secret, header, plaintext);
  const ciphertext = new Uint8Array(await crypto.subtle.encrypt(aesCtr(siv), await secret.aesCtrKey(ENC_LABEL), plaintext));
  return bytesToBase64Url(concat(header, siv, ciphertext));
}

/**
 * The claims of a token signed with the current or a retired key, or null for anything else. Never throws on
 * input: a malformed, altered, foreign or unknown-key token is simply not valid.
 */
export async function verifyPreferenceToken(keys: SigningKeys, token: string): Promise<PreferenceTokenClaims | null> {
  if (typeof token !== "string" || token.length > MAX_TOKEN_LENGTH) return null;
  const bytes = canonicalBase64UrlToBytes(token);
  if (!bytes || bytes.length <= HEADER_BYTES + SIV_BYTES || bytes[0] !== VERSION) return null;
  const header = bytes.subarray(0, HEADER_BYTES);
  const siv = bytes.slice(HEADER_BYTES, HEADER_BYTES + SIV_BYTES);
  const ciphertext = bytes.subarray(HEADER_BYTES + SIV_BYTES);
  for (const secret of await secretsWithId(keys, header.subarray(1))) {
    const plaintext = new Uint8Array(await crypto.subtle.decrypt(aesCtr(siv), await secret.aesCtrKey(ENC_LABEL), ciphertext));
    if (timingSafeEqual(await syntheticIv(secret, header, plaintext), siv)) return decodeClaims(plaintext);
  }
  return null;
}

export type UrlEnv = SigningKeys & { PUBLIC_BASE_URL: string };

export function tokenFor(keys: SigningKeys, target: TokenTarget): Promise<string> {
  return signPreferenceToken(keys, {
    workspaceId: target.workspaceId,
    subscriberId: target.subscriber.id,
    preferenceToken: target.subscriber.preference_token,
    campaignId: target.campaignId ?? null,
  });
}

const base = (env: UrlEnv) => env.PUBLIC_BASE_URL.replace(/\/+$/, "");

/** Both links of one email from one token: they carry the same claims, and each signature costs send time. */
export async function subscriberLinkPair(env: UrlEnv, target: TokenTarget): Promise<{ preferences: string; unsubscribe: string }> {
  const page = `${base(env)}/preferences/${await tokenFor(env, target)}`;
  return { preferences: page, unsubscribe: `${page}/unsubscribe` };
}

/** The subscriber's preference page: for the footer link of an email. A GET there never changes anything. */
export async function preferencesUrl(env: UrlEnv, target: TokenTarget): Promise<string> {
  return (await subscriberLinkPair(env, target)).preferences;
}

/**
 * The RFC 8058 one-click target, for `List-Unsubscribe: <url>` together with
 * `List-Unsubscribe-Post: List-Unsubscribe=One-Click`. Only a POST to it unsubscribes.
 */
export async function unsubscribeUrl(env: UrlEnv, target: TokenTarget): Promise<string> {
  return (await subscriberLinkPair(env, target)).unsubscribe;
}
