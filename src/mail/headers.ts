import { SendError } from "../domain/errors";
import { textToBase64, toHex } from "../lib/encoding";

/**
 * Header fields as RFC 5322 and RFC 2047 want them: 7-bit, lines folded near 78 characters, non-ASCII text as
 * encoded-words of at most 75 characters, and no value able to smuggle in a line break.
 */

const encoder = new TextEncoder();

/** Printable ASCII and space: what a header may carry without encoding. */
const PLAIN_TEXT = /^[\x20-\x7e]*$/;

/** UTF-8 bytes per encoded-word: 39 bytes → 52 base64 characters → a 64-character word, which fits on a line after "Subject: ". */
const ENCODED_WORD_BYTES = 39;

const FOLD_AT = 78;

/**
 * Unstructured text (a subject, a custom header's value): kept as it is when it is plain ASCII that folds into
 * short lines, and written as RFC 2047 B encoded-words otherwise. Decoders join adjacent encoded-words without
 * the whitespace between them, so the text survives folding exactly.
 */
export function encodeUnstructured(name: string, text: string): string {
  const words = text.split(" ");
  const foldable = PLAIN_TEXT.test(text) && !text.includes("=?") && words.every((word) => word.length < FOLD_AT - 1);
  if (foldable) return foldWords(name, words);
  return encodedWords(text).join("\r\n ");
}

/** `"Display Name" <address>`, or the bare address without a name; a non-ASCII name becomes encoded-words. */
export function formatMailbox(mailbox: { email: string; name?: string }): string {
  const address = headerAddress(mailbox.email);
  const name = mailbox.name?.trim();
  if (!name) return address;
  const phrase = PLAIN_TEXT.test(name) ? `"${name.replace(/["\\]/g, "\\$&")}"` : encodedWords(name).join("\r\n ");
  return `${phrase} <${address}>`;
}

/**
 * An address as it may appear in a header or an SMTP envelope. Addresses were validated where they entered the
 * system; this guards the message itself, since a line break here would add headers of the sender's choosing.
 */
export function headerAddress(email: string): string {
  if (!/^[^\s<>()",;:\\@]+@[^\s<>()",;:\\@]+$/.test(email)) {
    throw new SendError("permanent", `"${email.replace(/[\r\n]/g, " ").slice(0, 100)}" cannot be written as an email address`);
  }
  return email;
}

/** RFC 5322 date-time in UTC: "Fri, 04 Dec 2026 22:40:11 +0000". */
export function formatDate(date: Date): string {
  return date.toUTCString().replace("GMT", "+0000");
}

/** A Message-ID (without angle brackets) on the sending domain, with 128 random bits on the left. */
export function newMessageId(sendingDomain: string): string {
  if (!/^[a-z0-9.-]+$/i.test(sendingDomain)) throw new TypeError(`"${sendingDomain}" is not a domain name`);
  return `${toHex(crypto.getRandomValues(new Uint8Array(16)))}@${sendingDomain.toLowerCase()}`;
}

/** A value written verbatim (a URL, an id): it must already be one printable ASCII line. */
export function assertPlainValue(name: string, value: string): string {
  if (!PLAIN_TEXT.test(value)) throw new TypeError(`the ${name} header value must be printable ASCII on one line`);
  return value;
}

function foldWords(name: string, words: string[]): string {
  let lineLength = name.length + 2;
  let out = "";
  words.forEach((word, index) => {
    if (index === 0) {
      out = word;
      lineLength += word.length;
    } else if (word !== "" && lineLength + 1 + word.length > FOLD_AT) {
      // The space stays: folding inserts CRLF before it and unfolding removes only the CRLF.
      out += `\r\n ${word}`;
      lineLength = 1 + word.length;
    } else {
      out += ` ${word}`;
      lineLength += 1 + word.length;
    }
  });
  return out;
}

/** Splits on code points, never inside a UTF-8 sequence, so each encoded-word decodes on its own. */
function encodedWords(text: string): string[] {
  const words: string[] = [];
  let chunk = "";
  let chunkBytes = 0;
  for (const character of text) {
    const bytes = encoder.encode(character).length;
    if (chunkBytes + bytes > ENCODED_WORD_BYTES && chunk !== "") {
      words.push(chunk);
      chunk = "";
      chunkBytes = 0;
    }
    chunk += character;
    chunkBytes += bytes;
  }
  if (chunk !== "" || words.length === 0) words.push(chunk);
  return words.map((part) => `=?UTF-8?B?${textToBase64(part)}?=`);
}
