import { dkimVerify } from "mailauth/lib/dkim/verify";
import { beforeAll, describe, expect, it } from "vitest";
import { type DkimKeyPair, generateDkimKeyPair } from "../../src/domain/domains/dkim";
import { base64ToBytes } from "../../src/lib/encoding";
import { composeMessage } from "../../src/mail/compose";
import { signDkim } from "../../src/mail/dkim-sign";

/**
 * mailauth canonicalizes the message and computes the body hash on its own; workerd's node:crypto lacks the
 * digest name it verifies RSA with, so the last step (RSA over mailauth's canonical headers) runs on WebCrypto
 * here. The SMTP integration test has mailauth verify the whole signature in Node.
 */
async function verify(message: string, keys: DkimKeyPair) {
  const { results } = await dkimVerify(message, { resolver: async () => [[`v=DKIM1; k=rsa; p=${keys.publicKey}`]] });
  const [result] = results as unknown as {
    signingDomain: string;
    selector: string;
    algo: string;
    format: string;
    bodyHash: string;
    bodyHashExpecting: string;
    signature: string;
    signingHeaders: { keys: string; canonicalizedHeader: string };
  }[];
  const publicKey = await crypto.subtle.importKey(
    "spki",
    base64ToBytes(keys.publicKey),
    { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
    false,
    ["verify"],
  );
  const signatureValid = await crypto.subtle.verify(
    "RSASSA-PKCS1-v1_5",
    publicKey,
    base64ToBytes(result!.signature),
    base64ToBytes(result!.signingHeaders.canonicalizedHeader),
  );
  return { ...result!, bodyHashMatches: result!.bodyHash === result!.bodyHashExpecting, signatureValid };
}

const message = (subject = "Grüße aus Berlin", text = "Hello\r\n.leading dot\r\n  spaced   out  \r\n") =>
  composeMessage({
    date: new Date("2026-12-04T22:40:11Z"),
    sendingDomain: "news.example.com",
    from: { email: "hello@news.example.com", name: "Flarecast News" },
    replyTo: "support@example.com",
    to: { email: "ada@example.org" },
    subject,
    html: "<p>Hello</p>",
    text,
    unsubscribeUrl: "https://app.example.com/u/abc",
    tags: { workspace_id: "ws_1", campaign_id: "cmp_1", recipient_id: "rcp_1" },
    stream: "broadcast",
  }).raw;

describe("signDkim", () => {
  let keys: DkimKeyPair;
  const key = () => ({ domain: "news.example.com", selector: "fc202612", privateKeyPkcs8: keys.privateKeyPkcs8 });
  beforeAll(async () => {
    keys = await generateDkimKeyPair();
  });

  it("prepends a relaxed/relaxed rsa-sha256 signature whose body hash and signature verify against the published key", async () => {
    const raw = message();
    const signed = await signDkim(raw, key(), { now: new Date("2026-12-04T22:40:12Z") });
    expect(signed.startsWith("DKIM-Signature: v=1;")).toBe(true);
    expect(signed.endsWith(raw)).toBe(true);
    const result = await verify(signed, keys);
    expect(result).toMatchObject({
      signingDomain: "news.example.com",
      selector: "fc202612",
      algo: "rsa-sha256",
      format: "relaxed/relaxed",
      bodyHashMatches: true,
      signatureValid: true,
    });
    expect(result.signingHeaders.keys).toBe(
      "From: To: Subject: Date: Message-ID: Reply-To: List-Unsubscribe: List-Unsubscribe-Post: Feedback-ID: MIME-Version: Content-Type",
    );
    expect(signed).toContain(`t=${Date.parse("2026-12-04T22:40:12Z") / 1000};`);
    for (const line of signed.split("\r\n")) expect(line.length).toBeLessThanOrEqual(998);
  });

  it("survives what relaxed canonicalization allows: re-folded headers and changed whitespace in the body", async () => {
    const signed = await signDkim(message(), key());
    const refolded = signed
      .replace("Subject: ", "Subject:   ")
      .replace(/\r\nTo: /, "\r\nto:\r\n\t ")
      .replace("spaced   out  ", "spaced out");
    expect(refolded).not.toBe(signed);
    expect(await verify(`${refolded}\r\n\r\n`, keys)).toMatchObject({ bodyHashMatches: true, signatureValid: true });
  });

  it("fails verification when a signed header or the body is changed", async () => {
    const signed = await signDkim(message(), key());
    const otherSubject = signed.replace(/\r\nSubject: [^\r]*/, "\r\nSubject: Something else");
    expect(await verify(otherSubject, keys)).toMatchObject({ bodyHashMatches: true, signatureValid: false });
    const otherUnsubscribe = signed.replace("https://app.example.com/u/abc", "https://evil.example/u/abc");
    expect(await verify(otherUnsubscribe, keys)).toMatchObject({ signatureValid: false });
    const otherBody = signed.replace("Hello\r\n", "Hallo\r\n");
    expect(await verify(otherBody, keys)).toMatchObject({ bodyHashMatches: false });
  });

  it("signs what goes on the wire: bare LF line endings become CRLF before hashing", async () => {
    const signed = await signDkim(message().replaceAll("\r\n", "\n"), key());
    expect(signed.replaceAll("\r\n", "")).not.toMatch(/[\r\n]/);
    expect(await verify(signed, keys)).toMatchObject({ bodyHashMatches: true, signatureValid: true });
  });

  it("fails verification against another domain's key", async () => {
    const signed = await signDkim(message(), key());
    expect(await verify(signed, await generateDkimKeyPair())).toMatchObject({ bodyHashMatches: true, signatureValid: false });
  });
});
