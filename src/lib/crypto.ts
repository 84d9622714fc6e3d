import { base64ToBytes, bytesToBase64, toHex } from "./encoding";
import { timingSafeEqual } from "./signing";

const encoder = new TextEncoder();

export async function sha256Hex(value: string): Promise<string> {
  return toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(value))));
}

/**
 * Compares two secrets without leaking where they differ. Both sides are hashed first so inputs of
 * different lengths take the same path and the length of the secret is not revealed.
 */
export async function secretsEqual(a: string, b: string): Promise<boolean> {
  const [da, db] = await Promise.all([
    crypto.subtle.digest("SHA-256", encoder.encode(a)),
    crypto.subtle.digest("SHA-256", encoder.encode(b)),
  ]);
  return timingSafeEqual(new Uint8Array(da), new Uint8Array(db));
}

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** A uniformly random base62 string (rejection sampling avoids modulo bias). */
export function randomBase62(length: number): string {
  let out = "";
  while (out.length < length) {
    for (const byte of crypto.getRandomValues(new Uint8Array(length))) {
      if (byte < 248 && out.length < length) out += BASE62[byte % 62];
    }
  }
  return out;
}

const SEALED_PREFIX = "v1";
const keyCache = new Map<string, Promise<CryptoKey>>();

function importSealingKey(keyBase64: string): Promise<CryptoKey> {
  let key = keyCache.get(keyBase64);
  if (!key) {
    key = crypto.subtle.importKey("raw", base64ToBytes(keyBase64), "AES-GCM", false, ["encrypt", "decrypt"]);
    keyCache.set(keyBase64, key);
  }
  return key;
}

/**
 * Encrypts a secret for storage with AES-256-GCM under ENCRYPTION_KEY: `v1.<iv>.<ciphertext>`. `boundTo` (such
 * as "provider:<id>") is authenticated but not stored, so a sealed value copied onto another row does not open.
 */
export async function sealSecret(keyBase64: string, plaintext: string, boundTo: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: encoder.encode(boundTo) },
    await importSealingKey(keyBase64),
    encoder.encode(plaintext),
  );
  return `${SEALED_PREFIX}.${bytesToBase64(iv)}.${bytesToBase64(sealed)}`;
}

export async function openSecret(keyBase64: string, sealed: string, boundTo: string): Promise<string> {
  const [version, iv, ciphertext] = sealed.split(".");
  if (version !== SEALED_PREFIX || !iv || !ciphertext) throw new Error("not a sealed secret");
  const plaintext = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: base64ToBytes(iv), additionalData: encoder.encode(boundTo) },
    await importSealingKey(keyBase64),
    base64ToBytes(ciphertext),
  );
  return new TextDecoder().decode(plaintext);
}
