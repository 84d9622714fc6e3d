import { toHex } from "../lib/encoding";
import type { OutgoingMessage } from "../provider-clients/contract";
import { assertPlainValue, encodeUnstructured, formatDate, formatMailbox, headerAddress, newMessageId } from "./headers";
import { encodeQuotedPrintable } from "./quoted-printable";

/** One recipient's message as the send path has it; composeMessage writes its headers and MIME body. */
export interface ComposeInput extends Pick<OutgoingMessage, "from" | "replyTo" | "to" | "subject" | "html" | "text" | "tags" | "stream"> {
  date: Date;
  /** The sending domain: the Message-ID lives on it. */
  sendingDomain: string;
  /** The https one-click URL: List-Unsubscribe: <url> and List-Unsubscribe-Post: List-Unsubscribe=One-Click. */
  unsubscribeUrl: string;
  /** Anything else to write (e.g. X-Flarecast-Test: 1 on test sends). */
  extraHeaders?: Record<string, string>;
}

/** Headers composeMessage writes itself; extraHeaders may not replace them. */
const OWN_HEADERS = new Set([
  "date",
  "from",
  "reply-to",
  "to",
  "subject",
  "message-id",
  "mime-version",
  "list-unsubscribe",
  "list-unsubscribe-post",
  "feedback-id",
  "content-type",
  "content-transfer-encoding",
  "dkim-signature",
]);

/**
 * The whole message for one recipient, the same for every provider: multipart/alternative (text, then HTML),
 * both parts UTF-8 in quoted-printable, headers 7-bit and folded, CRLF line endings throughout, ending in CRLF.
 *
 * Built here rather than with mimetext: in workerd mimetext's default entry ends lines with a bare LF (it takes
 * node:os EOL), writes bodies unencoded under a "7bit" label (8-bit UTF-8 and unbounded line lengths, which SMTP
 * servers reject past 998 octets), and puts a whole subject in one unfolded encoded-word (RFC 2047 caps a word at
 * 75 characters; a 1,000-character subject became one header line of over 1,300). Its browser entry writes CRLF
 * but still leaves the bodies for the caller to encode and does not fold the subject.
 */
export function composeMessage(input: ComposeInput): OutgoingMessage {
  const messageId = newMessageId(input.sendingDomain);
  const headers: Record<string, string> = {
    "Message-ID": `<${messageId}>`,
    "List-Unsubscribe": `<${unsubscribeUrl(input.unsubscribeUrl)}>`,
    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    // Gmail's feedback loop reports by this: "<campaign_id>:<workspace_id>:<stream>:flarecast".
    "Feedback-ID": [input.tags.campaign_id, input.tags.workspace_id, input.stream, "flarecast"]
      .map((part) => assertPlainValue("Feedback-ID", part.replaceAll(":", "_")))
      .join(":"),
  };
  const extraHeaders = Object.entries(input.extraHeaders ?? {});
  for (const [name, value] of extraHeaders) {
    if (!/^[A-Za-z0-9-]+$/.test(name) || OWN_HEADERS.has(name.toLowerCase())) {
      throw new TypeError(`"${name}" cannot be set as an extra header`);
    }
    headers[name] = value;
  }

  const boundary = `=_fc_${toHex(crypto.getRandomValues(new Uint8Array(12)))}`;
  const lines = [
    `Date: ${formatDate(input.date)}`,
    `From: ${formatMailbox(input.from)}`,
    ...(input.replyTo ? [`Reply-To: ${headerAddress(input.replyTo)}`] : []),
    `To: ${formatMailbox(input.to)}`,
    `Subject: ${encodeUnstructured("Subject", input.subject)}`,
    `Message-ID: ${headers["Message-ID"]}`,
    "MIME-Version: 1.0",
    `List-Unsubscribe: ${headers["List-Unsubscribe"]}`,
    `List-Unsubscribe-Post: ${headers["List-Unsubscribe-Post"]}`,
    `Feedback-ID: ${headers["Feedback-ID"]}`,
    ...extraHeaders.map(([name, value]) => `${name}: ${encodeUnstructured(name, value)}`),
    // "=_" cannot occur in quoted-printable output, so the boundary cannot collide with a body line.
    `Content-Type: multipart/alternative; boundary="${boundary}"`,
    "",
    `--${boundary}`,
    ...textPart("text/plain", input.text),
    `--${boundary}`,
    ...textPart("text/html", input.html),
    `--${boundary}--`,
    "",
  ];

  return {
    raw: lines.join("\r\n"),
    messageId,
    from: input.from,
    ...(input.replyTo ? { replyTo: input.replyTo } : {}),
    to: input.to,
    subject: input.subject,
    html: input.html,
    text: input.text,
    headers,
    tags: input.tags,
    stream: input.stream,
  };
}

/** Written verbatim inside angle brackets, where neither folding nor encoded-words are allowed. */
function unsubscribeUrl(url: string): string {
  if (!/^https?:\/\/[\x21-\x7e]+$/.test(url) || /[<>]/.test(url))
    throw new TypeError("the unsubscribe URL must be an http(s) URL in printable ASCII");
  return url;
}

function textPart(contentType: string, body: string): string[] {
  return [
    `Content-Type: ${contentType}; charset=utf-8`,
    "Content-Transfer-Encoding: quoted-printable",
    "",
    encodeQuotedPrintable(body.replace(/\r\n|\r|\n/g, "\r\n")),
  ];
}
