import type { OutgoingMessage } from "../provider-clients/contract";

export interface ComposeInput {
  date: Date;
  sendingDomain: string;
  from: { email: string; name?: string };
  replyTo?: string;
  to: { email: string; name?: string };
  subject: string;
  html: string;
  text: string;
  unsubscribeUrl: string;
  feedback: { campaignId: string; workspaceId: string };
  tags: OutgoingMessage["tags"];
  stream: OutgoingMessage["stream"];
  extraHeaders?: Record<string, string>;
}

const encodeWord = (text: string) =>
  /^[\x20-\x7e]*$/.test(text) ? text : `=?UTF-8?B?${btoa(String.fromCharCode(...new TextEncoder().encode(text)))}?=`;
const address = (a: { email: string; name?: string }) => (a.name ? `"${encodeWord(a.name)}" <${a.email}>` : a.email);

export function composeMessage(input: ComposeInput): OutgoingMessage {
  const messageId = `${crypto.randomUUID()}@${input.sendingDomain}`;
  const headers: Record<string, string> = {
    "List-Unsubscribe": `<${input.unsubscribeUrl}>`,
    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    "Feedback-ID": `${input.feedback.campaignId}:${input.feedback.workspaceId}:${input.stream}:flarecast`,
    ...input.extraHeaders,
  };
  const boundary = `b${crypto.randomUUID()}`;
  const lines = [
    `From: ${address(input.from)}`,
    `To: ${address(input.to)}`,
    ...(input.replyTo ? [`Reply-To: ${input.replyTo}`] : []),
    `Subject: ${encodeWord(input.subject)}`,
    `Date: ${input.date.toUTCString()}`,
    `Message-ID: <${messageId}>`,
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
    "MIME-Version: 1.0",
    `Content-Type: multipart/alternative; boundary="${boundary}"`,
    "",
    `--${boundary}`,
    "Content-Type: text/plain; charset=UTF-8",
    "",
    input.text,
    `--${boundary}`,
    "Content-Type: text/html; charset=UTF-8",
    "",
    input.html,
    `--${boundary}--`,
    "",
  ];
  return {
    raw: lines.join("\r\n").replace(/\r?\n/g, "\r\n"),
    messageId,
    from: input.from,
    replyTo: input.replyTo,
    to: input.to,
    subject: input.subject,
    html: input.html,
    text: input.text,
    headers,
    tags: input.tags,
    stream: input.stream,
  };
}
