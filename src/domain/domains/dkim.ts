/**
 * DKIM keys of sending domains (RFC 6376, RFC 8301): RSA 2048 with SHA-256, made with WebCrypto so the Worker
 * can generate them itself. The private key leaves this module as PKCS#8 for the caller to encrypt at rest.
 */
import { bytesToBase64 } from "../../lib/encoding";

export { quoteTxtStrings, splitTxtValue } from "../dns/txt";

export const DKIM_ALGORITHM = {
  name: "RSASSA-PKCS1-v1_5",
  // RFC 8301 requires at least 1024 bits; 2048 is what mailbox providers expect and still fits one TXT record.
  modulusLength: 2048,
  publicExponent: new Uint8Array([1, 0, 1]),
  hash: "SHA-256",
};

export interface DkimKeyPair {
  /** Base64 SubjectPublicKeyInfo DER, no PEM armour: the p= of the DNS record. */
  publicKey: string;
  /** Base64 PKCS#8 DER of the private key. */
  privateKeyPkcs8: string;
}

export async function generateDkimKeyPair(): Promise<DkimKeyPair> {
  const pair = (await crypto.subtle.generateKey(DKIM_ALGORITHM, true, ["sign", "verify"])) as CryptoKeyPair;
  const [spki, pkcs8] = await Promise.all([
    crypto.subtle.exportKey("spki", pair.publicKey) as Promise<ArrayBuffer>,
    crypto.subtle.exportKey("pkcs8", pair.privateKey) as Promise<ArrayBuffer>,
  ]);
  return { publicKey: bytesToBase64(spki), privateKeyPkcs8: bytesToBase64(pkcs8) };
}

/**
 * "fc" and the UTC year and month, e.g. "fc202611": a DNS label of lowercase letters and digits that says when
 * the key was made, so a rotated key gets a new selector and the old record can stay up while mail signed with
 * it is still in flight.
 */
export function newDkimSelector(now: Date): string {
  const month = String(now.getUTCMonth() + 1).padStart(2, "0");
  return `fc${now.getUTCFullYear()}${month}`;
}

/** The DKIM key record (RFC 6376 §3.6.1) before it is split into TXT strings. */
export function dkimRecordValue(publicKey: string): string {
  return `v=DKIM1; k=rsa; p=${publicKey}`;
}
