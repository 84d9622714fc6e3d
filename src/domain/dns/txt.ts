/**
 * TXT records in presentation format: one or more <character-string>s (RFC 1035 §3.3, §5.1), each at most 255
 * bytes, written as quoted strings separated by spaces. Receivers (SPF, DKIM, DMARC) concatenate the strings
 * with nothing in between, so a long value is split anywhere and rejoined exactly.
 */

/** The longest <character-string> DNS allows: its length is one octet. */
export const TXT_STRING_MAX_BYTES = 255;

const encoder = new TextEncoder();

/**
 * Splits a value into strings of at most `max` UTF-8 bytes, never inside a code point (a split UTF-8 sequence
 * would rejoin correctly but could not be shown or typed into a DNS UI).
 */
export function splitTxtValue(value: string, max = TXT_STRING_MAX_BYTES): string[] {
  if (!Number.isInteger(max) || max < 4) throw new RangeError("max must be an integer of at least 4 bytes");
  const parts: string[] = [];
  let current = "";
  let currentBytes = 0;
  for (const char of value) {
    const bytes = encoder.encode(char).length;
    if (currentBytes + bytes > max) {
      parts.push(current);
      current = "";
      currentBytes = 0;
    }
    current += char;
    currentBytes += bytes;
  }
  parts.push(current);
  return parts;
}

/** `"part1" "part2"`: what a person pastes into a DNS UI to get exactly these strings. */
export function quoteTxtStrings(parts: readonly string[]): string {
  return parts.map((part) => `"${part.replace(/["\\]/g, "\\$&")}"`).join(" ");
}

/**
 * The strings of a TXT record as resolvers print it. Quoted strings are unescaped (`\"`, `\\`, and `\DDD`
 * decimal octets); text that does not start with a quote is one string as is, which is how Google's DoH API
 * and some DNS UIs show TXT data.
 */
export function parseTxtStrings(data: string): string[] {
  const text = data.trim();
  if (!text.startsWith('"')) return [text];
  const parts: string[] = [];
  let i = 0;
  while (i < text.length) {
    if (text[i] === " " || text[i] === "\t") {
      i++;
      continue;
    }
    if (text[i] !== '"') {
      // An unquoted run between quoted strings: take it up to the next blank, as zone-file parsers do.
      const end = text.slice(i).search(/[ \t]/);
      const stop = end === -1 ? text.length : i + end;
      parts.push(decodeEscapes(text.slice(i, stop)));
      i = stop;
      continue;
    }
    const { value, next } = readQuoted(text, i + 1);
    parts.push(value);
    i = next;
  }
  return parts;
}

/** Reads a quoted string whose opening quote is just before `start`; an unterminated one runs to the end. */
function readQuoted(text: string, start: number): { value: string; next: number } {
  let raw = "";
  let i = start;
  while (i < text.length && text[i] !== '"') {
    if (text[i] === "\\" && i + 1 < text.length) {
      raw += text.slice(i, i + 2);
      i += 2;
    } else {
      raw += text[i++];
    }
  }
  return { value: decodeEscapes(raw), next: i + 1 };
}

/** RFC 1035 §5.1: `\DDD` is the octet with that decimal value; `\X` is X itself. Octets are decoded as UTF-8. */
function decodeEscapes(raw: string): string {
  const bytes: number[] = [];
  for (const [, octet, escaped, plain] of raw.matchAll(/\\(\d{3})|\\([\s\S])|([\s\S])/gu)) {
    if (octet !== undefined && Number(octet) <= 255) bytes.push(Number(octet));
    else bytes.push(...encoder.encode(octet ?? escaped ?? plain));
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}
