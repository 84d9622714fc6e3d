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

function encodeLine(line: string): string {
  const bytes = encoder.encode(line);
  const tokens: string[] = [];
  bytes.forEach((byte, index) => {
    const last = index === bytes.length - 1;
    // Trailing whitespace would be stripped in transit, so it is encoded; "=" always is.
    const literal = (byte >= 33 && byte <= 126 && byte !== 61) || ((byte === 32 || byte === 9) && !last);
    tokens.push(literal ? String.fromCharCode(byte) : `=${byte.toString(16).toUpperCase().padStart(2, "0")}`);
  });
  let out = "";
  let length = 0;
  tokens.forEach((token, index) => {
    const room = index === tokens.length - 1 ? MAX_LINE : MAX_LINE - 1;
    if (length + token.length > room) {
      out += "=\r\n";
      length = 0;
    }
    out += token;
    length += token.length;
  });
  return out;
}
