/**
 * Quoted-printable (RFC 2045 §6.7) for text parts: readable where the text is ASCII, 7-bit everywhere, and no
 * line longer than 76 characters, whatever the template's HTML looks like. Base64 would do the same, but spam
 * filters score base64-encoded text parts.
 */

const encoder = new TextEncoder();

const MAX_LINE = 76;

/** Encodes UTF-8 text whose line breaks are already CRLF; each line is encoded on its own with soft breaks. */
export function encodeQuotedPrintable(text: string): string {
  return text.split("\r\n").map(encodeLine).join("\r\n");
}

/** Printable ASCII other than "=", spaces and tabs: such a line needs soft line breaks at most. */
const PLAIN = /^[\t\x20-\x3c\x3e-\x7e]*$/;
const TRAILING_WHITESPACE = /[\t ]$/;
const HEX = Array.from({ length: 256 }, (_, byte) => `=${byte.toString(16).toUpperCase().padStart(2, "0")}`);

function encodeLine(line: string): string {
  // Most lines of a rendered email are plain ASCII: they are only cut, which is what every message spends its
  // encoding time on, so they skip the byte-by-byte path.
  if (PLAIN.test(line) && !TRAILING_WHITESPACE.test(line)) return softBreaks(line);
  const bytes = encoder.encode(line);
  let out = "";
  let length = 0;
  for (let index = 0; index < bytes.length; index++) {
    const byte = bytes[index];
    const last = index === bytes.length - 1;
    // Trailing whitespace would be stripped in transit, so it is encoded; "=" always is.
    const literal = (byte >= 33 && byte <= 126 && byte !== 61) || ((byte === 32 || byte === 9) && !last);
    const token = literal ? String.fromCharCode(byte) : HEX[byte];
    const room = last ? MAX_LINE : MAX_LINE - 1;
    if (length + token.length > room) {
      out += "=\r\n";
      length = 0;
    }
    out += token;
    length += token.length;
  }
  return out;
}

/** A line of single-character tokens cut as the byte path cuts it: 75 characters and "=" until 76 or fewer remain. */
function softBreaks(line: string): string {
  if (line.length <= MAX_LINE) return line;
  let out = "";
  let start = 0;
  while (line.length - start > MAX_LINE) {
    out += `${line.slice(start, start + MAX_LINE - 1)}=\r\n`;
    start += MAX_LINE - 1;
  }
  return out + line.slice(start);
}
