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

/**
 * The SubjectPublicKeyInfo of an X.509 certificate, as DER bytes WebCrypto imports with format "spki".
 * Certificate ::= SEQUENCE { tbsCertificate, … }; TBSCertificate ::= SEQUENCE { [0] version OPTIONAL,
 * serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo, … } (RFC 5280 §4.1).
 */
export function spkiFromCertificate(der: Uint8Array): Uint8Array | null {
  const certificate = readElement(der, 0);
  if (!certificate || certificate.tag !== SEQUENCE) return null;
  const [tbs] = children(der, certificate) ?? [];
  if (!tbs || tbs.tag !== SEQUENCE) return null;
  const fields = children(der, tbs);
  if (!fields) return null;
  const offset = fields[0]?.tag === CONTEXT_0 ? 1 : 0;
  const spki = fields[offset + 5];
  return spki?.tag === SEQUENCE ? der.slice(spki.start, spki.end) : null;
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
