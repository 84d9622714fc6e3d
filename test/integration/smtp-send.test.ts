import { env } from "cloudflare:workers";
import PostalMime from "postal-mime";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { dkimRecordValue, generateDkimKeyPair, splitTxtValue } from "../../src/domain/domains/dkim";
import { SendError } from "../../src/domain/errors";
import { type ComposeInput, composeMessage } from "../../src/mail/compose";
import type { DkimSigningKey, OutgoingMessage, SendContext } from "../../src/provider-clients/contract";
import type { ProviderCredentials } from "../../src/provider-clients/credentials";
import { clientContext } from "../../src/provider-clients/http";
import { smtpClient } from "../../src/provider-clients/smtp.provider";
import { publish, uniqueDomain } from "../stand-ins/doh-zone";
import { STAND_IN_CREDENTIALS as CREDS } from "../stand-ins/provider-credentials";
import type { ReceivedSmtpMessage } from "../stand-ins/provider-smtp";

const ports = inject("smtpStandInPorts");
const mainPort = () => Number(env.TEST_SMTP_PORT);

const credentials = (overrides: Partial<ProviderCredentials<"smtp">> = {}): ProviderCredentials<"smtp"> => ({
  host: "127.0.0.1",
  port: mainPort(),
  username: CREDS.smtp.username,
  password: CREDS.smtp.password,
  tls: "none",
  ...overrides,
});

const context = (dkim: DkimSigningKey | null = null, timeoutMs = 5_000): SendContext => ({
  ...clientContext({}, timeoutMs),
  dkim,
  captureStore: null,
});

/** A fresh address per test; the local part before "+" picks the stand-in's scripted answer. */
const recipient = (script = "ada") => `${script}+${crypto.randomUUID().slice(0, 8)}@example.org`;

function message(to: string, overrides: Partial<ComposeInput> = {}): OutgoingMessage {
  return composeMessage({
    date: new Date(),
    sendingDomain: "news.example.test",
    from: { email: "hello@news.example.test", name: "Flarecast News" },
    to: { email: to, name: "Ada Lovelace" },
    subject: "December news",
    html: "<p>Hello Ada</p>",
    text: "Hello Ada",
    unsubscribeUrl: "https://app.example.test/u/one-click?t=abc",
    tags: { workspace_id: "ws_1", campaign_id: "cmp_1", recipient_id: "rcp_1" },
    stream: "broadcast",
    ...overrides,
  });
}

async function receivedBy(address: string): Promise<ReceivedSmtpMessage[]> {
  const response = await fetch(`http://127.0.0.1:${ports.received}/messages?to=${encodeURIComponent(address)}`);
  return response.json();
}

async function sendFailure(outgoing: OutgoingMessage, creds = credentials(), ctx = context()): Promise<SendError> {
  const error = await smtpClient.send(outgoing, creds, ctx).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(SendError);
  expect((error as SendError).reason).not.toContain(CREDS.smtp.password);
  return error as SendError;
}

describe("SMTP send", () => {
  let signingKey: DkimSigningKey;
  let domain: string;

  beforeAll(async () => {
    domain = uniqueDomain("smtp");
    const keys = await generateDkimKeyPair();
    signingKey = { domain, selector: "fc202612", privateKeyPkcs8: keys.privateKeyPkcs8 };
    await publish({ name: `fc202612._domainkey.${domain}`, type: "TXT", strings: splitTxtValue(dkimRecordValue(keys.publicKey)) });
  });

  const signedMessage = (to: string, overrides: Partial<ComposeInput> = {}) =>
    message(to, { sendingDomain: domain, from: { email: `news@${domain}`, name: "Grüße GmbH" }, ...overrides });

  it("delivers a DKIM-signed message that mailauth verifies and a MIME parser reads back", async () => {
    const to = recipient();
    const outgoing = signedMessage(to, { subject: "Ünïcödé news — 12月のお知らせ", html: "<p>Grüße, Ada</p>", text: "Grüße, Ada" });
    const receipt = await smtpClient.send(outgoing, credentials(), context(signingKey));
    expect(receipt).toEqual({ providerMessageId: outgoing.messageId });

    const [received, ...more] = await receivedBy(to);
    expect(more).toEqual([]);
    expect(received).toMatchObject({ mailFrom: `news@${domain}`, rcptTo: [to], secure: false });
    expect(received!.dkim).toEqual({ result: "pass", domain, selector: "fc202612", comment: "" });
    expect(received!.sizeParam).toBeGreaterThanOrEqual(received!.raw.length);

    const email = await PostalMime.parse(received!.raw);
    expect(email.subject).toBe("Ünïcödé news — 12月のお知らせ");
    expect(email.from).toEqual({ name: "Grüße GmbH", address: `news@${domain}` });
    expect(email.text).toBe("Grüße, Ada");
    expect(email.html).toBe("<p>Grüße, Ada</p>");
    expect(email.messageId).toBe(`<${outgoing.messageId}>`);
    const header = (name: string) => email.headers.find((h) => h.key === name)?.value;
    expect(header("list-unsubscribe")).toBe("<https://app.example.test/u/one-click?t=abc>");
    expect(header("list-unsubscribe-post")).toBe("List-Unsubscribe=One-Click");
    expect(header("feedback-id")).toBe("cmp_1:ws_1:broadcast:flarecast");
    expect(header("dkim-signature")).toMatch(new RegExp(`^v=1;\\s+a=rsa-sha256;\\s+c=relaxed/relaxed;\\s+d=${domain};\\s+s=fc202612;`));
  });

  it("sends unsigned when the context has no DKIM key", async () => {
    const to = recipient();
    await smtpClient.send(message(to), credentials(), context());
    const [received] = await receivedBy(to);
    expect(received!.dkim).toBeNull();
    expect(received!.raw).not.toContain("DKIM-Signature");
  });

  it("dot-stuffs lines that start with a dot, so they arrive intact and the signature still verifies", async () => {
    const to = recipient();
    const text = ".hidden first line\n..two dots\n.\nlast line";
    await smtpClient.send(signedMessage(to, { text, html: "<p>x</p>\r\n.<p>y</p>" }), credentials(), context(signingKey));
    const [received] = await receivedBy(to);
    expect(received!.dkim?.result).toBe("pass");
    const email = await PostalMime.parse(received!.raw);
    expect(email.text?.replaceAll("\r\n", "\n")).toBe(text);
    expect(email.html?.replaceAll("\r\n", "\n")).toBe("<p>x</p>\n.<p>y</p>");
  });

  it("pipelines MAIL, RCPT and DATA where the server offers PIPELINING, and waits for each reply where it does not", async () => {
    const pipelined = recipient();
    const stepwise = recipient();
    await smtpClient.send(message(pipelined), credentials(), context());
    await smtpClient.send(message(stepwise), credentials({ port: ports.noPipelining }), context());
    const [[viaPipelining], [viaSteps]] = await Promise.all([receivedBy(pipelined), receivedBy(stepwise)]);
    expect(viaPipelining).toMatchObject({ port: mainPort(), envelopeReads: 1 });
    expect(viaSteps).toMatchObject({ port: ports.noPipelining, envelopeReads: 3 });
  });

  describe.each([
    ["pipelined", () => mainPort()],
    ["not pipelined", () => ports.noPipelining],
  ])("failures, %s", (_mode, port) => {
    it("is retryable on a 451 to RCPT", async () => {
      const to = recipient("tempfail");
      const error = await sendFailure(message(to), credentials({ port: port() }));
      expect(error.kind).toBe("retryable");
      expect(error.reason).toBe(`127.0.0.1:${port()}: the server refused RCPT: 451 4.3.0 Mailbox temporarily unavailable, try again later`);
      expect(await receivedBy(to)).toEqual([]);
    });

    it("is retryable on a 421", async () => {
      const error = await sendFailure(message(recipient("busy")), credentials({ port: port() }));
      expect(error.kind).toBe("retryable");
      expect(error.reason).toBe(
        `127.0.0.1:${port()}: the server refused RCPT: 421 4.3.2 Service shutting down, closing transmission channel`,
      );
    });

    it("is permanent on a 550 to RCPT, with the server's reply", async () => {
      const to = recipient("reject");
      const error = await sendFailure(message(to), credentials({ port: port() }));
      expect(error.kind).toBe("permanent");
      expect(error.reason).toBe(`127.0.0.1:${port()}: the server refused RCPT: 550 5.1.1 Mailbox does not exist`);
      expect(await receivedBy(to)).toEqual([]);
    });

    it("is permanent on a 554 to the message", async () => {
      const error = await sendFailure(message(recipient("reject-message")), credentials({ port: port() }));
      expect(error.kind).toBe("permanent");
      expect(error.reason).toBe(`127.0.0.1:${port()}: the server refused the message: 554 5.7.1 Message rejected as spam`);
    });

    it("is unknown when the connection drops after the final dot: the server did take the message in", async () => {
      const to = recipient("drop-after-data");
      const error = await sendFailure(message(to), credentials({ port: port() }));
      expect(error.kind).toBe("unknown");
      expect(error.reason).toMatch(/while waiting for the reply to the message; the server may have accepted the message$/);
      expect(await receivedBy(to)).toHaveLength(1);
    });

    it("is a configuration failure on a wrong password", async () => {
      const to = recipient();
      const error = await sendFailure(message(to), credentials({ port: port(), password: "not the password 0000" }));
      expect(error.kind).toBe("config");
      expect(error.reason).toBe(`127.0.0.1:${port()}: authentication rejected: 535 Authentication credentials invalid`);
      expect(await receivedBy(to)).toEqual([]);
    });
  });

  it("refuses a message over the server's SIZE limit as permanent without sending it", async () => {
    const to = recipient();
    const error = await sendFailure(message(to, { html: `<p>${"x".repeat(60_000)}</p>` }), credentials({ port: ports.noPipelining }));
    expect(error.kind).toBe("permanent");
    expect(error.reason).toMatch(/: the message is \d+ bytes and the server accepts at most 50000$/);
    expect(await receivedBy(to)).toEqual([]);
  });

  it("is retryable when nothing listens or the server never answers", async () => {
    const refused = await sendFailure(message(recipient()), credentials({ port: ports.closed }));
    expect(refused.kind).toBe("retryable");
    expect(refused.reason).toMatch(/failed while connecting/);
    const silent = await sendFailure(message(recipient()), credentials({ port: ports.silent }), context(null, 300));
    expect(silent).toMatchObject({
      kind: "retryable",
      reason: `127.0.0.1:${ports.silent}: timed out after 300 ms while waiting for the greeting`,
    });
  });

  it.each([
    ["starttls", () => ports.trustedStartTls],
    ["implicit", () => ports.trustedImplicitTls],
  ] as const)("delivers over TLS (%s) a signed message that verifies", async (tls, port) => {
    const to = recipient();
    const outgoing = signedMessage(to);
    expect(await smtpClient.send(outgoing, credentials({ port: port(), tls }), context(signingKey))).toEqual({
      providerMessageId: outgoing.messageId,
    });
    const [received] = await receivedBy(to);
    expect(received).toMatchObject({ port: port(), secure: true, dkim: { result: "pass", domain } });
  });

  it("is a configuration failure when the server's certificate is not trusted after STARTTLS", async () => {
    const error = await sendFailure(message(recipient()), credentials({ tls: "starttls" }));
    expect(error.kind).toBe("config");
    expect(error.reason).toMatch(
      /: the TLS handshake after STARTTLS failed; the certificate must be valid for 127\.0\.0\.1 and publicly trusted/,
    );
  });

  it("is retryable when an implicit-TLS handshake fails: workerd reports it like a refused connection", async () => {
    const error = await sendFailure(message(recipient()), credentials({ port: ports.implicitTls, tls: "implicit" }));
    expect(error.kind).toBe("retryable");
    expect(error.reason).toMatch(/: failed while connecting and negotiating TLS: /);
  });

  it("is a configuration failure when the domain's DKIM key cannot be used, and sends nothing", async () => {
    const to = recipient();
    const broken = { ...signingKey, privateKeyPkcs8: signingKey.privateKeyPkcs8.slice(0, 200) };
    const error = await sendFailure(message(to), credentials(), context(broken));
    expect(error.kind).toBe("config");
    expect(error.reason).toMatch(new RegExp(`^the DKIM key of ${domain} cannot sign: `));
    expect(await receivedBy(to)).toEqual([]);
  });

  it("is a configuration failure when tls is starttls and the server does not offer it", async () => {
    const error = await sendFailure(message(recipient()), credentials({ port: ports.loginOnly, tls: "starttls" }));
    expect(error).toMatchObject({ kind: "config", reason: `127.0.0.1:${ports.loginOnly}: the server does not offer STARTTLS` });
  });
});
