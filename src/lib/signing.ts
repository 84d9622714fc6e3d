/**
 * Signing with TRACKING_SIGNING_KEY: the one place that turns the secret into keys and tokens. Preference links,
 * one-click unsubscribe and tracking links (open pixel, click) all go through here.
 *
 * - Rotation: TRACKING_SIGNING_KEY signs; the secrets in TRACKING_SIGNING_KEYS_OLD still verify what they signed
 *   and never sign again. Each token carries a key id (kid: the first 4 bytes of SHA-256 of the secret), so
 *   verification picks the secret by id instead of trying them all.
 * - Per-purpose keys: nothing is keyed with the secret itself. Every use derives its own key with HKDF-SHA-256
 *   under a label of its own, so a token made for one purpose never verifies for another.
 * - Tokens are canonical unpadded base64url: one spelling per token, so flipping the spare bits of the last
 *   character does not make a second valid token.
 *
 * Keys are derived with WebCrypto; token MACs are computed with @noble/hashes from the derived key's bytes, so once
 * a configuration's keys are loaded a token is checked synchronously (no promise per request). Both run in workerd
 * and in Node alike.
 */
import { type _HMAC, hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { base64UrlToBytes, bytesToBase64Url, toHex } from "./encoding";

export interface SigningKeys {
  /** The current secret: signs new tokens and verifies them. */
  TRACKING_SIGNING_KEY: string;
  /** Retired secrets, separated by commas or whitespace: still verify tokens they signed, never sign new ones. */
  TRACKING_SIGNING_KEYS_OLD?: string;
}

/**
 * What a signed token is for. A new use adds its name here; its key is derived under a label no other use has.
 * (Preference tokens are encrypted as well as signed and derive their own keys with `SigningSecret` directly.)
 */
export const TOKEN_PURPOSES = ["open-pixel", "click-link"] as const;
export type TokenPurpose = (typeof TOKEN_PURPOSES)[number];

export const KID_BYTES = 4;
const TOKEN_VERSION = 1;
const HEADER_BYTES = 1 + KID_BYTES;
/** HMAC-SHA-256 truncated to 128 bits (NIST SP 800-107 allows it): forging one still takes 2^128 tries, and the
 * links stay 22 characters shorter. */
export const TAG_BYTES = 16;
/**
 * The longest token `verifyToken` reads, checked before any decoding or hashing, and so the largest `signToken`
 * makes: room for a click link's URL of about 3 KB with its ids.
 */
export const MAX_TOKEN_CHARS = 4096;
const MAX_PAYLOAD_BYTES = Math.floor((MAX_TOKEN_CHARS * 3) / 4) - HEADER_BYTES - TAG_BYTES;

const HKDF_SALT = "flarecast";
/** Distinct from every label a caller of `SigningSecret` passes (those name their own construction). */
const TOKEN_LABELS = Object.fromEntries(TOKEN_PURPOSES.map((purpose) => [purpose, `flarecast/signed-token/${purpose}/v1`])) as Record<
  TokenPurpose,
  string
>;

const encoder = new TextEncoder();

/**
 * Compares two byte strings (or the UTF-8 of two strings) in time that depends only on their lengths, never on
 * where they differ. Different lengths are simply unequal: use it for MACs and digests, whose length is no
 * secret; to compare secrets of any length hash both first (`secretsEqual` in ./crypto).
 */
export function timingSafeEqual(a: Uint8Array | string, b: Uint8Array | string): boolean {
  const x = typeof a === "string" ? encoder.encode(a) : a;
  const y = typeof b === "string" ? encoder.encode(b) : b;
  if (x.length !== y.length) return false;
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= x[i] ^ y[i];
  return diff === 0;
}

const BASE64URL_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/**
 * The bytes of canonical unpadded base64url, or null for anything else (padding, `+` `/`, spare bits set). A
 * final group of 2 characters carries 4 bits no byte uses, one of 3 carries 2: canonical text has them zero.
 */
export function canonicalBase64UrlToBytes(text: string): Uint8Array | null {
  const bytes = base64UrlToBytes(text);
  if (!bytes) return null;
  const spareBits = [0, 0, 0x0f, 0x03][text.length % 4];
  return spareBits && BASE64URL_ALPHABET.indexOf(text[text.length - 1]) & spareBits ? null : bytes;
}

/** The key id of a signing secret: the first 8 hex characters of its SHA-256. */
export async function keyId(secret: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(secret)));
  return toHex(digest.subarray(0, KID_BYTES));
}

const hkdfParams = (label: string) => ({ name: "HKDF", hash: "SHA-256", salt: encoder.encode(HKDF_SALT), info: encoder.encode(label) });

/** One signing secret, with its id and the keys derived from it (each derived once per isolate). */
export class SigningSecret {
  private readonly derived = new Map<string, Promise<CryptoKey>>();

  private constructor(
    readonly kid: Uint8Array,
    readonly kidHex: string,
    private readonly ikm: CryptoKey,
  ) {}

  static async of(secret: string): Promise<SigningSecret> {
    const kidHex = await keyId(secret);
    const kid = new Uint8Array(kidHex.match(/../g)!.map((hex) => Number.parseInt(hex, 16)));
    const ikm = await crypto.subtle.importKey("raw", encoder.encode(secret), "HKDF", false, ["deriveKey", "deriveBits"]);
    return new SigningSecret(kid, kidHex, ikm);
  }

  /** An HMAC-SHA-256 key derived under `label`; each label must name exactly one use. */
  hmacKey(label: string): Promise<CryptoKey> {
    return this.derive(label, { name: "HMAC", hash: "SHA-256", length: 256 }, ["sign"]);
  }

  /** An AES-256-CTR key derived under `label`; each label must name exactly one use. */
  aesCtrKey(label: string): Promise<CryptoKey> {
    return this.derive(label, { name: "AES-CTR", length: 256 }, ["encrypt", "decrypt"]);
  }

  /** The 32 bytes of the HMAC-SHA-256 key `hmacKey(label)` holds, for MACs computed outside WebCrypto. */
  async hmacKeyBytes(label: string): Promise<Uint8Array> {
    return new Uint8Array(await crypto.subtle.deriveBits(hkdfParams(label), this.ikm, 256));
  }

  private derive(label: string, algorithm: SubtleCryptoImportKeyAlgorithm, usages: string[]): Promise<CryptoKey> {
    const cacheKey = `${algorithm.name}:${label}`;
    let key = this.derived.get(cacheKey);
    if (!key) {
      key = crypto.subtle.deriveKey(hkdfParams(label), this.ikm, algorithm, false, usages);
      key.catch(() => this.derived.delete(cacheKey));
      this.derived.set(cacheKey, key);
    }
    return key;
  }
}

/** Per isolate (per process in Node): importing and hashing a secret costs more than signing with it. */
const secrets = new Map<string, Promise<SigningSecret>>();

function signingSecret(secret: string): Promise<SigningSecret> {
  let loaded = secrets.get(secret);
  if (!loaded) {
    loaded = SigningSecret.of(secret);
    loaded.catch(() => secrets.delete(secret));
    secrets.set(secret, loaded);
  }
  return loaded;
}

const retiredSecrets = (keys: SigningKeys) =>
  (keys.TRACKING_SIGNING_KEYS_OLD ?? "").split(/[\s,]+/).filter((secret) => secret && secret !== keys.TRACKING_SIGNING_KEY);

/**
 * Every secret of a configuration, current first. Loaded once per configuration object: the Worker's config is
 * one object per isolate (readConfig caches it), so a request verifying a token splits and looks up nothing.
 */
const secretsOfKeys = new WeakMap<SigningKeys, Promise<SigningSecret[]>>();

function allSecrets(keys: SigningKeys): Promise<SigningSecret[]> {
  let loaded = secretsOfKeys.get(keys);
  if (!loaded) {
    loaded = Promise.all([keys.TRACKING_SIGNING_KEY, ...retiredSecrets(keys)].map(signingSecret));
    loaded.catch(() => secretsOfKeys.delete(keys));
    secretsOfKeys.set(keys, loaded);
  }
  return loaded;
}

/** The secret new tokens are signed with. */
export function currentSecret(keys: SigningKeys): Promise<SigningSecret> {
  return signingSecret(keys.TRACKING_SIGNING_KEY);
}

/**
 * The secrets, current first, whose id is `kid`: those that may have signed a token carrying it. Usually one;
 * two secrets can share a 4-byte id, and then both are tried.
 */
export async function secretsWithId(keys: SigningKeys, kid: Uint8Array): Promise<SigningSecret[]> {
  return (await allSecrets(keys)).filter((secret) => timingSafeEqual(secret.kid, kid));
}

function assertPurpose(purpose: TokenPurpose): void {
  if (!TOKEN_PURPOSES.includes(purpose)) throw new Error(`unknown token purpose "${purpose}"`);
}

/** One secret's MAC for one purpose, keyed once: each token's MAC starts from a copy of it. */
interface TokenMac {
  kid: Uint8Array;
  keyed: _HMAC<ReturnType<typeof sha256.create>>;
}

/** A purpose's MACs for every secret of a configuration, current first: loading, then loaded. */
interface PurposeMacs {
  loading: Promise<TokenMac[]>;
  loaded?: TokenMac[];
}

/** Per configuration object (one per isolate, as readConfig caches it) and purpose. */
const macsOfKeys = new WeakMap<SigningKeys, Partial<Record<TokenPurpose, PurposeMacs>>>();

function tokenMacs(keys: SigningKeys, purpose: TokenPurpose): PurposeMacs {
  let byPurpose = macsOfKeys.get(keys);
  if (!byPurpose) {
    byPurpose = {};
    macsOfKeys.set(keys, byPurpose);
  }
  byPurpose[purpose] ??= loadMacs(keys, purpose, byPurpose);
  return byPurpose[purpose];
}

function loadMacs(keys: SigningKeys, purpose: TokenPurpose, byPurpose: Partial<Record<TokenPurpose, PurposeMacs>>): PurposeMacs {
  const label = TOKEN_LABELS[purpose];
  const macs: PurposeMacs = {
    loading: allSecrets(keys).then((secrets) =>
      Promise.all(secrets.map(async (secret) => ({ kid: secret.kid, keyed: hmac.create(sha256, await secret.hmacKeyBytes(label)) }))),
    ),
  };
  macs.loading.then(
    (loaded) => {
      macs.loaded = loaded;
    },
    () => delete byPurpose[purpose],
  );
  return macs;
}

const tagOf = (mac: TokenMac, signed: Uint8Array): Uint8Array => mac.keyed.clone().update(signed).digest().subarray(0, TAG_BYTES);

/**
 * A token for `purpose` carrying `payload`, signed with the current secret:
 * base64url( version ‖ kid ‖ payload ‖ HMAC-SHA-256(purpose key, version ‖ kid ‖ payload)[0..16) ).
 * The payload is readable by anyone holding the token (it is signed, not encrypted), and the same payload always
 * gives the same token. Throws when the token would be longer than MAX_TOKEN_CHARS.
 */
export async function signToken(keys: SigningKeys, purpose: TokenPurpose, payload: Uint8Array): Promise<string> {
  assertPurpose(purpose);
  if (payload.length > MAX_PAYLOAD_BYTES) throw new Error(`token payload longer than ${MAX_PAYLOAD_BYTES} bytes`);
  const [current] = await tokenMacs(keys, purpose).loading;
  const signed = new Uint8Array(HEADER_BYTES + payload.length + TAG_BYTES);
  signed[0] = TOKEN_VERSION;
  signed.set(current.kid, 1);
  signed.set(payload, HEADER_BYTES);
  signed.set(tagOf(current, signed.subarray(0, HEADER_BYTES + payload.length)), HEADER_BYTES + payload.length);
  return bytesToBase64Url(signed);
}

function verifyWith(macs: readonly TokenMac[], token: string): Uint8Array | null {
  if (typeof token !== "string" || token.length > MAX_TOKEN_CHARS) return null;
  const bytes = canonicalBase64UrlToBytes(token);
  if (!bytes || bytes.length < HEADER_BYTES + TAG_BYTES || bytes[0] !== TOKEN_VERSION) return null;
  const kid = bytes.subarray(1, HEADER_BYTES);
  const signed = bytes.subarray(0, bytes.length - TAG_BYTES);
  const tag = bytes.subarray(bytes.length - TAG_BYTES);
  for (const mac of macs) {
    if (timingSafeEqual(mac.kid, kid) && timingSafeEqual(tagOf(mac, signed), tag)) return bytes.slice(HEADER_BYTES, signed.length);
  }
  return null;
}

/**
 * The payload of a token `signToken` made for `purpose` with the current or a retired secret, or null for
 * anything else: malformed, non-canonical, too long, altered, made for another purpose or by an unknown secret.
 * Never throws on its input.
 */
export async function verifyToken(keys: SigningKeys, purpose: TokenPurpose, token: string): Promise<Uint8Array | null> {
  assertPurpose(purpose);
  return verifyWith(await tokenMacs(keys, purpose).loading, token);
}

/**
 * `verifyToken` without waiting, once this configuration's keys for `purpose` are loaded (after its first token);
 * undefined until then, when the caller awaits `verifyToken` instead.
 */
export function verifyTokenNow(keys: SigningKeys, purpose: TokenPurpose, token: string): Uint8Array | null | undefined {
  assertPurpose(purpose);
  const macs = tokenMacs(keys, purpose).loaded;
  return macs && verifyWith(macs, token);
}

/**
 * Several strings as one payload: each its UTF-8 with a 2-byte big-endian length in front. For tokens that bind
 * a few values, such as a click link's campaign id, recipient id and URL.
 */
export function packFields(fields: readonly string[]): Uint8Array {
  const encoded = fields.map((field) => encoder.encode(field));
  const out = new Uint8Array(encoded.reduce((n, field) => n + 2 + field.length, 0));
  let at = 0;
  for (const field of encoded) {
    if (field.length > 0xffff) throw new Error("token field longer than 65535 bytes");
    out[at++] = field.length >> 8;
    out[at++] = field.length & 0xff;
    out.set(field, at);
    at += field.length;
  }
  return out;
}

const strictDecoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
/** The longest field read as ASCII by `decodeField`: spread into one call, well within the argument limit. */
const ASCII_FIELD_BYTES = 4096;

/**
 * The UTF-8 text of a field, or null when it is not valid UTF-8. ASCII bytes are their own text, and ids and most
 * URLs are ASCII, so those skip the decoder (a call per field on every tracking hit).
 */
function decodeField(bytes: Uint8Array): string | null {
  let ascii = bytes.length <= ASCII_FIELD_BYTES;
  for (let i = 0; ascii && i < bytes.length; i++) ascii = bytes[i] < 0x80;
  if (ascii) return String.fromCharCode(...bytes);
  try {
    return strictDecoder.decode(bytes);
  } catch {
    return null;
  }
}

/** Exactly `count` fields `packFields` wrote, or null when the bytes are anything else. */
export function unpackFields(bytes: Uint8Array, count: number): string[] | null {
  const fields: string[] = [];
  let at = 0;
  while (fields.length < count && at + 2 <= bytes.length) {
    const length = (bytes[at] << 8) | bytes[at + 1];
    at += 2;
    if (at + length > bytes.length) return null;
    const field = decodeField(bytes.subarray(at, at + length));
    if (field === null) return null;
    fields.push(field);
    at += length;
  }
  return fields.length === count && at === bytes.length ? fields : null;
}
