import { base64ToBytes, bytesToBase64 } from "../lib/encoding";
import type { DkimSigningKey } from "../provider-clients/contract";

/**
 * DKIM signing (RFC 6376) with rsa-sha256 and relaxed/relaxed canonicalization, on WebCrypto so it runs in
 * workerd. The signature covers the headers a forger would change to pass a message off as ours or to
 * unsubscribe someone else: From, To, Subject, Date, Message-ID, the List-Unsubscribe pair, and the MIME
 * headers that say how to read the body. Reply-To and Feedback-ID are signed when present too: one redirects
 * replies and the other is what Gmail's feedback loop reports by.
 */

const SIGNED_HEADERS = [
  "from",
  "to",
  "subject",
  "date",
  "message-id",
  "reply-to",
  "list-unsubscribe",
  "list-unsubscribe-post",
  "feedback-id",
  "mime-version",
  "content-type",
];

const RSA_SHA256 = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" } as const;

const encoder = new TextEncoder();

/**
 * The message with a DKIM-Signature header in front. Line endings become CRLF first (composeMessage already
 * writes them so), since that is what the message will be on the wire and what a verifier hashes.
 */
export async function signDkim(message: string, key: DkimSigningKey, options: { now?: Date } = {}): Promise<string> {
  const raw = message.replace(/\r\n|\r|\n/g, "\r\n");
  const split = raw.indexOf("\r\n\r\n");
  const headerBlock = split < 0 ? raw : raw.slice(0, split);
  const body = split < 0 ? "" : raw.slice(split + 4);
  const fields = parseHeaderFields(headerBlock);
  const present = new Set(fields.map((field) => field.name));
  const signed = SIGNED_HEADERS.filter((name) => present.has(name));

  const bodyHash = bytesToBase64(await crypto.subtle.digest("SHA-256", encoder.encode(relaxedBody(body))));
  const timestamp = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const tags = [
    "v=1",
    "a=rsa-sha256",
    "c=relaxed/relaxed",
    `d=${key.domain}`,
    `s=${key.selector}`,
    `t=${timestamp}`,
    `h=${signed.join(":")}`,
    `bh=${bodyHash}`,
    "b=",
  ];
  // Folded between tags: relaxed canonicalization turns each fold into the single space a verifier also sees.
  const unsigned = `DKIM-Signature: ${tags.join(";\r\n\t")}`;
  const signingInput =
    signedFields(fields, signed)
      .map((field) => `${relaxedHeader(field.text)}\r\n`)
      .join("") + relaxedHeader(unsigned);

  const privateKey = await crypto.subtle.importKey("pkcs8", base64ToBytes(key.privateKeyPkcs8), RSA_SHA256, false, ["sign"]);
  const signature = bytesToBase64(await crypto.subtle.sign(RSA_SHA256.name, privateKey, encoder.encode(signingInput)));
  // Verifiers delete b='s value, folding included, before they recompute; what remains is `unsigned` again.
  return `${unsigned}${signature.match(/.{1,72}/g)!.join("\r\n\t")}\r\n${raw}`;
}

interface HeaderField {
  /** Lower-case field name. */
  name: string;
  /** The whole field as it appears, continuation lines included, without the final CRLF. */
  text: string;
}

function parseHeaderFields(block: string): HeaderField[] {
  const fields: HeaderField[] = [];
  for (const line of block.split("\r\n")) {
    const last = fields.at(-1);
    if (/^[ \t]/.test(line) && last) {
      last.text += `\r\n${line}`;
    } else {
      fields.push({
        name: line
          .slice(0, Math.max(0, line.indexOf(":")))
          .trim()
          .toLowerCase(),
        text: line,
      });
    }
  }
  return fields;
}

/** RFC 6376 §5.4.2: a name listed once signs the last field of that name. */
function signedFields(fields: HeaderField[], names: string[]): HeaderField[] {
  return names.map((name) => fields.findLast((field) => field.name === name)!);
}

/** RFC 6376 §3.4.2: lower-case name, unfolded, runs of whitespace as one space, none around the colon or at the end. */
function relaxedHeader(text: string): string {
  const colon = text.indexOf(":");
  const name = text.slice(0, colon).trim().toLowerCase();
  const value = text
    .slice(colon + 1)
    .replace(/\r\n/g, "")
    .replace(/[ \t]+/g, " ")
    .trim();
  return `${name}:${value}`;
}

/** RFC 6376 §3.4.4: whitespace runs as one space, none at line ends, no empty lines at the end, one final CRLF. */
function relaxedBody(body: string): string {
  const lines = body.split("\r\n").map((line) => line.replace(/[ \t]+/g, " ").replace(/ $/, ""));
  while (lines.length > 0 && lines.at(-1) === "") lines.pop();
  return lines.length === 0 ? "" : `${lines.join("\r\n")}\r\n`;
}
