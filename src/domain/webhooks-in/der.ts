/**
 * Just enough DER for webhook signatures: WebCrypto imports neither X.509 certificates (SNS signs with one) nor
 * DER-encoded ECDSA signatures (SendGrid sends them), so both are taken apart here. Every read is bounds-checked;
 * anything unexpected returns null.
 */
import { base64ToBytes } from "../../lib/encoding";

interface Element {
  tag: number;
  /** Where the element (tag byte) starts and where its contents start and end. */
  start: number;
  contentStart: number;
  end: number;
}

function readElement(bytes: Uint8Array, at: number, limit = bytes.length): Element | null {
  if (at + 2 > limit) return null;
  const tag = bytes[at];
  let length = bytes[at + 1];
  let contentStart = at + 2;
  if (length & 0x80) {
    const lengthBytes = length & 0x7f;
    // Indefinite lengths are not DER; four length bytes already allow 4 GB.
    if (lengthBytes === 0 || lengthBytes > 4 || contentStart + lengthBytes > limit) return null;
    length = 0;
    for (let i = 0; i < lengthBytes; i++) length = length * 256 + bytes[contentStart + i];
    contentStart += lengthBytes;
  }
  const end = contentStart + length;
  return end <= limit ? { tag, start: at, contentStart, end } : null;
}

function children(bytes: Uint8Array, parent: Element): Element[] | null {
  const found: Element[] = [];
  for (let at = parent.contentStart; at < parent.end; ) {
    const child = readElement(bytes, at, parent.end);
    if (!child) return null;
    found.push(child);
    at = child.end;
  }
  return found;
}

const SEQUENCE = 0x30;
const INTEGER = 0x02;
const CONTEXT_0 = 0xa0;

export interface CertificateFacts {
  /** The SubjectPublicKeyInfo as DER bytes, which WebCrypto imports with format "spki". */
  spki: Uint8Array;
  notBefore: Date;
  notAfter: Date;
}

const UTC_TIME = 0x17;
const GENERALIZED_TIME = 0x18;

/** UTCTime `YYMMDDHHMMSSZ` (years 1950–2049) or GeneralizedTime `YYYYMMDDHHMMSSZ`, as RFC 5280 §4.1.2.5 allows them. */
function readTime(bytes: Uint8Array, element: Element): Date | null {
  const text = new TextDecoder().decode(bytes.subarray(element.contentStart, element.end));
  const match =
    element.tag === UTC_TIME
      ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text)
      : element.tag === GENERALIZED_TIME
        ? /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text)
        : null;
  if (!match) return null;
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number);
  const fullYear = element.tag === UTC_TIME ? (year < 50 ? 2000 + year : 1900 + year) : year;
  const time = Date.UTC(fullYear, month - 1, day, hour, minute, second);
  return Number.isNaN(time) ? null : new Date(time);
}

/**
 * The public key and validity period of an X.509 certificate. Certificate ::= SEQUENCE { tbsCertificate, … };
 * TBSCertificate ::= SEQUENCE { [0] version OPTIONAL, serialNumber, signature, issuer, validity, subject,
 * subjectPublicKeyInfo, … }; Validity ::= SEQUENCE { notBefore Time, notAfter Time } (RFC 5280 §4.1).
 */
export function readCertificate(der: Uint8Array): CertificateFacts | null {
  const certificate = readElement(der, 0);
  if (!certificate || certificate.tag !== SEQUENCE) return null;
  const [tbs] = children(der, certificate) ?? [];
  if (!tbs || tbs.tag !== SEQUENCE) return null;
  const fields = children(der, tbs);
  if (!fields) return null;
  const offset = fields[0]?.tag === CONTEXT_0 ? 1 : 0;
  const validity = fields[offset + 3];
  const spki = fields[offset + 5];
  if (validity?.tag !== SEQUENCE || spki?.tag !== SEQUENCE) return null;
  const [notBefore, notAfter] = (children(der, validity) ?? []).map((time) => readTime(der, time));
  if (!notBefore || !notAfter) return null;
  return { spki: der.slice(spki.start, spki.end), notBefore, notAfter };
}

/** The DER bytes of the first certificate in a PEM text, or null. */
export function pemCertificateToDer(pem: string): Uint8Array | null {
  const match = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+)-----END CERTIFICATE-----/.exec(pem);
  if (!match) return null;
  try {
    return base64ToBytes(match[1].replace(/\s+/g, ""));
  } catch {
    return null;
  }
}

/** An unsigned big-endian integer as exactly `size` bytes (DER adds a leading zero for the sign, or drops zeros). */
function fixedWidth(bytes: Uint8Array, size: number): Uint8Array | null {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  const digits = bytes.subarray(start);
  if (digits.length > size) return null;
  const out = new Uint8Array(size);
  out.set(digits, size - digits.length);
  return out;
}

/** ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER } → r‖s, each `size` bytes (32 for P-256), as WebCrypto wants. */
export function ecdsaDerToRaw(der: Uint8Array, size: number): Uint8Array | null {
  const sequence = readElement(der, 0);
  if (!sequence || sequence.tag !== SEQUENCE || sequence.end !== der.length) return null;
  const parts = children(der, sequence);
  if (parts?.length !== 2 || parts.some((part) => part.tag !== INTEGER)) return null;
  const [r, s] = parts.map((part) => fixedWidth(der.subarray(part.contentStart, part.end), size));
  if (!r || !s) return null;
  const raw = new Uint8Array(size * 2);
  raw.set(r, 0);
  raw.set(s, size);
  return raw;
}
