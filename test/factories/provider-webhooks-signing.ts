/**
 * Signing what providers sign, for tests: a self-signed X.509 certificate built with a small DER writer (WebCrypto
 * makes the RSA key and the signature; nothing here runs outside workerd), SNS messages signed with it, and
 * SendGrid signatures in DER as SendGrid sends them.
 */
import { bytesToBase64 } from "../../src/lib/encoding";

const concat = (parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

function derLength(n: number): Uint8Array {
  if (n < 0x80) return Uint8Array.of(n);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

const tlv = (tag: number, ...contents: Uint8Array[]) => {
  const body = concat(contents);
  return concat([Uint8Array.of(tag), derLength(body.length), body]);
};
const seq = (...c: Uint8Array[]) => tlv(0x30, ...c);
const text = (s: string) => new TextEncoder().encode(s);

/** DER INTEGER of unsigned big-endian bytes (a leading zero when the top bit is set). */
export const derInteger = (bytes: Uint8Array) => {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0 && bytes[start + 1] < 0x80) start++;
  const digits = bytes.subarray(start);
  return tlv(0x02, digits[0] >= 0x80 ? concat([Uint8Array.of(0), digits]) : digits);
};

const SHA256_WITH_RSA = seq(Uint8Array.of(0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b), Uint8Array.of(0x05, 0x00));
const commonName = (cn: string) => seq(tlv(0x31, seq(Uint8Array.of(0x06, 0x03, 0x55, 0x04, 0x03), tlv(0x0c, text(cn)))));

export interface TestCertificate {
  pem: string;
  /** Signs as SNS does: SignatureVersion 1 (SHA-1) or 2 (SHA-256). */
  sign(stringToSign: string, version: "1" | "2"): Promise<string>;
}

/** An X.509 Time: UTCTime (`YYMMDDHHMMSSZ`, tag 0x17) or GeneralizedTime (`YYYYMMDDHHMMSSZ`, tag 0x18) by its length. */
const x509Time = (time: string) => tlv(time.length === 13 ? 0x17 : 0x18, text(time));

export interface CertificateOptions {
  cn?: string;
  notBefore?: string;
  notAfter?: string;
}

export async function selfSignedCertificate({
  cn = "sns.test",
  notBefore = "250101000000Z",
  notAfter = "20550101000000Z",
}: CertificateOptions = {}): Promise<TestCertificate> {
  const algorithm = { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: Uint8Array.of(1, 0, 1), hash: "SHA-256" };
  const pair = (await crypto.subtle.generateKey(algorithm, true, ["sign", "verify"])) as CryptoKeyPair;
  const spki = new Uint8Array((await crypto.subtle.exportKey("spki", pair.publicKey)) as ArrayBuffer);
  const pkcs8 = (await crypto.subtle.exportKey("pkcs8", pair.privateKey)) as ArrayBuffer;
  const tbs = seq(
    tlv(0xa0, derInteger(Uint8Array.of(2))),
    derInteger(Uint8Array.of(0x01, 0x23)),
    SHA256_WITH_RSA,
    commonName(cn),
    seq(x509Time(notBefore), x509Time(notAfter)),
    commonName(cn),
    spki,
  );
  const signature = new Uint8Array(await crypto.subtle.sign("RSASSA-PKCS1-v1_5", pair.privateKey, tbs));
  const der = seq(tbs, SHA256_WITH_RSA, tlv(0x03, Uint8Array.of(0), signature));
  const pem = `-----BEGIN CERTIFICATE-----\n${bytesToBase64(der).replace(/(.{64})/g, "$1\n")}\n-----END CERTIFICATE-----\n`;
  const keys = {
    "1": await crypto.subtle.importKey("pkcs8", pkcs8, { name: "RSASSA-PKCS1-v1_5", hash: "SHA-1" }, false, ["sign"]),
    "2": pair.privateKey,
  };
  return {
    pem,
    sign: async (stringToSign, version) => bytesToBase64(await crypto.subtle.sign("RSASSA-PKCS1-v1_5", keys[version], text(stringToSign))),
  };
}

/** The string SNS signs, written out from the SNS documentation's field lists (independently of the code under test). */
export function snsStringToSignForTest(message: Record<string, string>): string {
  const fields =
    message.Type === "Notification"
      ? ["Message", "MessageId", ...(message.Subject !== undefined ? ["Subject"] : []), "Timestamp", "TopicArn", "Type"]
      : ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"];
  return fields.map((name) => `${name}\n${message[name]}\n`).join("");
}

export async function signedSnsMessage(
  certificate: TestCertificate,
  certUrl: string,
  fields: Record<string, string>,
  version: "1" | "2" = "2",
): Promise<Record<string, string>> {
  const message = { ...fields, SignatureVersion: version, SigningCertURL: certUrl };
  return { ...message, Signature: await certificate.sign(snsStringToSignForTest(message), version) };
}

/** A P-256 key pair as SendGrid holds it: the public half as base64 SPKI, signatures as base64 DER. */
export async function sendgridKeyPair() {
  const pair = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"])) as CryptoKeyPair;
  const publicKey = bytesToBase64((await crypto.subtle.exportKey("spki", pair.publicKey)) as ArrayBuffer);
  return {
    publicKey,
    async sign(timestamp: string, body: string): Promise<string> {
      const raw = new Uint8Array(await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, pair.privateKey, text(timestamp + body)));
      return bytesToBase64(seq(derInteger(raw.subarray(0, 32)), derInteger(raw.subarray(32))));
    },
  };
}

export async function mailgunSignature(signingKey: string, timestamp: string, token: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", text(signingKey), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return [...new Uint8Array(await crypto.subtle.sign("HMAC", key, text(timestamp + token)))]
    .map((b) => b.toString(16).padStart(2, "0"))
    .join("");
}
