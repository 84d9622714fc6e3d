/** Base64 and base64url over bytes and UTF-8 text: the one copy the rest of the code uses. */

const encoder = new TextEncoder();

export function bytesToBase64(bytes: Uint8Array | ArrayBuffer): string {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let binary = "";
  // Chunked: String.fromCharCode(...bytes) on a large array overflows the call stack.
  for (let i = 0; i < view.length; i += 0x8000) binary += String.fromCharCode(...view.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** Throws on anything that is not base64 (atob's own rule: padding optional, no whitespace inside). */
export function base64ToBytes(value: string): Uint8Array {
  const binary = atob(value);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

export const textToBase64 = (text: string): string => bytesToBase64(encoder.encode(text));

export const bytesToBase64Url = (bytes: Uint8Array | ArrayBuffer): string =>
  bytesToBase64(bytes).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");

/** Null when the value is not base64url: callers treat it as an invalid token, never as an error. */
export function base64UrlToBytes(value: string): Uint8Array | null {
  if (!/^[A-Za-z0-9_-]*$/.test(value) || value.length % 4 === 1) return null;
  try {
    return base64ToBytes(value.replaceAll("-", "+").replaceAll("_", "/"));
  } catch {
    return null;
  }
}

export const toHex = (bytes: Uint8Array): string => [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");

/** Bytes of the string as UTF-8 (as TextEncoder writes it, a lone surrogate as U+FFFD), without encoding it. */
export const utf8Length = (s: string) => {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      // A surrogate pair is one 4-byte code point: skip its low half.
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
};
