import fc from "fast-check";
import PostalMime from "postal-mime";
import { describe, expect, it } from "vitest";
import { SendError } from "../../src/domain/errors";
import { type ComposeInput, composeMessage } from "../../src/mail/compose";

const input = (overrides: Partial<ComposeInput> = {}): ComposeInput => ({
  date: new Date("2026-12-04T22:40:11Z"),
  sendingDomain: "news.example.com",
  from: { email: "hello@news.example.com", name: "Flarecast News" },
  replyTo: "support@example.com",
  to: { email: "ada@example.org", name: "Ada Lovelace" },
  subject: "December news",
  html: "<p>Hello Ada</p>",
  text: "Hello Ada",
  unsubscribeUrl: "https://app.example.com/u/one-click?t=abc.def",
  tags: { workspace_id: "ws_01JXYZ", campaign_id: "cmp_01JABC", recipient_id: "rcp_01JQQQ" },
  stream: "broadcast",
  ...overrides,
});

const parse = (raw: string) => PostalMime.parse(raw);
const header = (email: Awaited<ReturnType<typeof parse>>, name: string) =>
  email.headers.filter((h) => h.key === name.toLowerCase()).map((h) => h.value);
const lines = (raw: string) => raw.split("\r\n");

describe("composeMessage", () => {
  it("writes a multipart/alternative message a MIME parser reads back: subject, addresses, text then HTML", async () => {
    const message = composeMessage(input());
    const email = await parse(message.raw);
    expect(email.subject).toBe("December news");
    expect(email.from).toEqual({ name: "Flarecast News", address: "hello@news.example.com" });
    expect(email.to).toEqual([{ name: "Ada Lovelace", address: "ada@example.org" }]);
    expect(email.replyTo).toEqual([{ name: "", address: "support@example.com" }]);
    expect(email.date).toBe("2026-12-04T22:40:11.000Z");
    expect(email.text).toBe("Hello Ada");
    expect(email.html).toBe("<p>Hello Ada</p>");
    expect(header(email, "content-type")[0]).toMatch(/^multipart\/alternative; boundary=/);
    expect(message.raw.indexOf("Content-Type: text/plain")).toBeLessThan(message.raw.indexOf("Content-Type: text/html"));
    expect(header(email, "mime-version")).toEqual(["1.0"]);
  });

  it("puts the Message-ID on the sending domain and the one-click unsubscribe and feedback headers in the message", async () => {
    const message = composeMessage(input());
    const email = await parse(message.raw);
    expect(message.messageId).toMatch(/^[0-9a-f]{32}@news\.example\.com$/);
    expect(email.messageId).toBe(`<${message.messageId}>`);
    expect(header(email, "list-unsubscribe")).toEqual(["<https://app.example.com/u/one-click?t=abc.def>"]);
    expect(header(email, "list-unsubscribe-post")).toEqual(["List-Unsubscribe=One-Click"]);
    expect(header(email, "feedback-id")).toEqual(["cmp_01JABC:ws_01JXYZ:broadcast:flarecast"]);
    expect(message.headers).toEqual({
      "Message-ID": `<${message.messageId}>`,
      "List-Unsubscribe": "<https://app.example.com/u/one-click?t=abc.def>",
      "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
      "Feedback-ID": "cmp_01JABC:ws_01JXYZ:broadcast:flarecast",
    });
    expect(composeMessage(input()).messageId).not.toBe(message.messageId);
  });

  it("carries the parts JSON providers need, the tags and the stream", () => {
    const message = composeMessage(input({ stream: "transactional" }));
    expect(message).toMatchObject({
      from: { email: "hello@news.example.com", name: "Flarecast News" },
      replyTo: "support@example.com",
      to: { email: "ada@example.org", name: "Ada Lovelace" },
      subject: "December news",
      html: "<p>Hello Ada</p>",
      text: "Hello Ada",
      tags: { workspace_id: "ws_01JXYZ", campaign_id: "cmp_01JABC", recipient_id: "rcp_01JQQQ" },
      stream: "transactional",
    });
    expect(message.headers["Feedback-ID"]).toBe("cmp_01JABC:ws_01JXYZ:transactional:flarecast");
  });

  it("encodes non-ASCII subjects and display names as encoded-words and UTF-8 bodies as quoted-printable", async () => {
    const subject = "Ünïcödé news — 12月のお知らせ 🎉";
    const message = composeMessage(
      input({
        subject,
        from: { email: "hello@news.example.com", name: "Café Zoë" },
        to: { email: "ada@example.org", name: "Łukasz" },
        html: "<p>Grüße 🎉</p>",
        text: "Grüße 🎉",
      }),
    );
    expect(message.raw).toMatch(/^[\x20-\x7e\r\n\t]*$/);
    const email = await parse(message.raw);
    expect(email.subject).toBe(subject);
    expect(email.from).toEqual({ name: "Café Zoë", address: "hello@news.example.com" });
    expect(email.to).toEqual([{ name: "Łukasz", address: "ada@example.org" }]);
    expect(email.text).toBe("Grüße 🎉");
    expect(email.html).toBe("<p>Grüße 🎉</p>");
  });

  it("uses CRLF line endings only, ends with CRLF and keeps every line within 78 characters", () => {
    const message = composeMessage(
      input({
        subject: "A very long subject line that goes on and on ".repeat(6),
        text: "line one\nline two\rline three\r\n".concat("x".repeat(500)),
        html: `<table>${"<tr><td>cell</td></tr>".repeat(100)}</table>`,
      }),
    );
    expect(message.raw.replaceAll("\r\n", "")).not.toMatch(/[\r\n]/);
    expect(message.raw.endsWith("\r\n")).toBe(true);
    for (const line of lines(message.raw)) expect(line.length).toBeLessThanOrEqual(78);
  });

  it("folds a 1,000-character subject into short lines that unfold to the same subject", async () => {
    for (const subject of ["Sale ".repeat(200), "é".repeat(1000), "x".repeat(1000)]) {
      const message = composeMessage(input({ subject }));
      for (const line of lines(message.raw)) expect(line.length).toBeLessThanOrEqual(78);
      expect((await parse(message.raw)).subject).toBe(subject.trim() === subject ? subject : subject.trimEnd());
    }
  });

  it("round-trips any text and HTML through quoted-printable (line breaks as CRLF)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: "grapheme", maxLength: 300 }),
        fc.string({ unit: "binary", maxLength: 300 }),
        async (text, html) => {
          const message = composeMessage(input({ text, html }));
          for (const line of lines(message.raw)) expect(line.length).toBeLessThanOrEqual(78);
          const email = await parse(message.raw);
          // Lone surrogates have no UTF-8 form; TextEncoder writes U+FFFD for them.
          const expected = (value: string) => new TextDecoder().decode(new TextEncoder().encode(value)).replace(/\r\n|\r|\n/g, "\r\n");
          expect(expected(email.text ?? "")).toBe(expected(text));
          expect(expected(email.html ?? "")).toBe(expected(html));
        },
      ),
      { numRuns: 60 },
    );
  });

  it("adds extra headers after its own and refuses to let them replace its own", async () => {
    const message = composeMessage(input({ extraHeaders: { "X-Flarecast-Test": "1", "X-Note": "Grüße" } }));
    const email = await parse(message.raw);
    expect(header(email, "x-flarecast-test")).toEqual(["1"]);
    expect(message.headers["X-Flarecast-Test"]).toBe("1");
    expect(message.raw).toContain("X-Note: =?UTF-8?B?");
    expect(() => composeMessage(input({ extraHeaders: { "List-Unsubscribe": "<mailto:x@y>" } }))).toThrow(TypeError);
    expect(() => composeMessage(input({ extraHeaders: { "Bad Name": "1" } }))).toThrow(TypeError);
  });

  it("refuses addresses that would add header lines", () => {
    for (const email of ["ada@example.org\r\nBcc: victim@example.net", "Ada <ada@example.org>", "no-at-sign"]) {
      const attempt = () => composeMessage(input({ to: { email } }));
      expect(attempt).toThrow(SendError);
      expect(attempt).toThrow(/cannot be written as an email address/);
    }
    expect(() => composeMessage(input({ replyTo: "a@b.c\nX: y" }))).toThrow(SendError);
  });

  it("quotes ASCII display names with specials and writes a bare address without a name", async () => {
    const message = composeMessage(
      input({ from: { email: "hello@news.example.com", name: 'ACME, Inc. "News"' }, to: { email: "ada@example.org" } }),
    );
    expect(message.raw).toContain('From: "ACME, Inc. \\"News\\"" <hello@news.example.com>\r\n');
    expect(message.raw).toContain("To: ada@example.org\r\n");
    const email = await parse(message.raw);
    expect(email.from).toEqual({ name: 'ACME, Inc. "News"', address: "hello@news.example.com" });
  });
});
