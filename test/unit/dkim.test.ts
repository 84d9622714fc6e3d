import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseTxtStrings } from "../../src/domain/dns/txt";
import { dkimRecordValue, generateDkimKeyPair, newDkimSelector, quoteTxtStrings, splitTxtValue } from "../../src/domain/domains/dkim";
import { buildDnsRecords } from "../../src/domain/domains/dns-records";
import { returnPathFor, spfIncludeFor } from "../../src/domain/domains/provider-dns";

const RSA = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
const fromBase64 = (text: string) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
const utf8Bytes = (text: string) => new TextEncoder().encode(text).length;

describe("generateDkimKeyPair", () => {
  it("makes an RSA-2048 key pair whose signatures verify with the published key", async () => {
    const { publicKey, privateKeyPkcs8 } = await generateDkimKeyPair();
    expect(publicKey).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(publicKey).not.toContain("BEGIN");

    const verifyKey = await crypto.subtle.importKey("spki", fromBase64(publicKey), RSA, true, ["verify"]);
    const algorithm = verifyKey.algorithm as unknown as { name: string; modulusLength: number; hash: { name: string } };
    expect(algorithm).toMatchObject({ name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, hash: { name: "SHA-256" } });

    const signKey = await crypto.subtle.importKey("pkcs8", fromBase64(privateKeyPkcs8), RSA, false, ["sign"]);
    const message = new TextEncoder().encode("dkim-signature header and body hash");
    const signature = await crypto.subtle.sign("RSASSA-PKCS1-v1_5", signKey, message);
    expect(await crypto.subtle.verify("RSASSA-PKCS1-v1_5", verifyKey, signature, message)).toBe(true);
    expect(await crypto.subtle.verify("RSASSA-PKCS1-v1_5", verifyKey, signature, new TextEncoder().encode("x"))).toBe(false);
  });

  it("makes a new key every time", async () => {
    const [a, b] = await Promise.all([generateDkimKeyPair(), generateDkimKeyPair()]);
    expect(a.publicKey).not.toBe(b.publicKey);
  });
});

describe("newDkimSelector", () => {
  it("is fc, the UTC year and month: a DNS label", () => {
    expect(newDkimSelector(new Date("2026-11-28T12:00:00Z"))).toBe("fc202611");
    expect(newDkimSelector(new Date("2027-01-01T00:30:00+01:00"))).toBe("fc202612");
    expect(newDkimSelector(new Date("2027-01-01T00:00:00Z"))).toMatch(/^[a-z][a-z0-9]{1,62}$/);
  });
});

describe("TXT strings", () => {
  it("splits into strings of at most 255 bytes that rejoin exactly", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 900 }), fc.integer({ min: 4, max: 300 }), (value, max) => {
        const parts = splitTxtValue(value, max);
        expect(parts.join("")).toBe(value);
        for (const part of parts) expect(utf8Bytes(part)).toBeLessThanOrEqual(max);
      }),
    );
    const record = dkimRecordValue("A".repeat(600));
    expect(splitTxtValue(record).map((part) => part.length)).toEqual([255, 255, record.length - 510]);
  });

  it("quotes strings so that a resolver's presentation parses back to the same strings", () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 40 }), { minLength: 1, maxLength: 5 }), (parts) => {
        expect(parseTxtStrings(quoteTxtStrings(parts))).toEqual(parts);
      }),
    );
    expect(quoteTxtStrings(["a b", 'say "hi"', "back\\slash"])).toBe('"a b" "say \\"hi\\"" "back\\\\slash"');
  });

  it("reads TXT data as Cloudflare and Google print it", () => {
    expect(parseTxtStrings('"v=spf1 -all"')).toEqual(["v=spf1 -all"]);
    expect(parseTxtStrings('"v=DKIM1; k=rsa; p=MIIB" "IjAN"')).toEqual(["v=DKIM1; k=rsa; p=MIIB", "IjAN"]);
    expect(parseTxtStrings("v=spf1 include:_spf.google.com ~all")).toEqual(["v=spf1 include:_spf.google.com ~all"]);
    expect(parseTxtStrings('"caf\\195\\169" "\\"q\\""')).toEqual(["café", '"q"']);
  });
});

describe("DNS records of a sending domain", () => {
  it("has SPF with the providers' includes, the split DKIM key, DMARC at p=none and the return path", async () => {
    const { publicKey } = await generateDkimKeyPair();
    const records = buildDnsRecords({
      domain: "Mail.Example.COM.",
      dkimSelector: "fc202611",
      dkimPublicKey: publicKey,
      spfIncludes: ["amazonses.com", "spf.mtasv.net", "amazonses.com"],
      returnPath: returnPathFor("mail.example.com", "postmark"),
      dmarcReportEmail: "dmarc@example.com",
    });
    expect(records.spf).toEqual({
      type: "TXT",
      name: "mail.example.com",
      value: "v=spf1 include:amazonses.com include:spf.mtasv.net ~all",
    });
    expect(records.dmarc).toEqual({
      type: "TXT",
      name: "_dmarc.mail.example.com",
      value: "v=DMARC1; p=none; rua=mailto:dmarc@example.com",
    });
    expect(records.return_path).toEqual({ type: "CNAME", name: "pm-bounces.mail.example.com", value: "pm.mtasv.net" });

    expect(records.dkim.type).toBe("TXT");
    expect(records.dkim.name).toBe("fc202611._domainkey.mail.example.com");
    const strings = parseTxtStrings(records.dkim.value);
    expect(strings.length).toBeGreaterThan(1);
    for (const part of strings) expect(part.length).toBeLessThanOrEqual(255);
    expect(strings.join("")).toBe(`v=DKIM1; k=rsa; p=${publicKey}`);
  });

  it("asks for the domain's own MX in SPF when no provider has an include, and leaves out rua without an address", () => {
    const records = buildDnsRecords({
      domain: "example.org",
      dkimSelector: "fc202611",
      dkimPublicKey: "AAAA",
      spfIncludes: [],
      returnPath: returnPathFor("example.org", "smtp"),
    });
    expect(records.spf.value).toBe("v=spf1 mx ~all");
    expect(records.dmarc.value).toBe("v=DMARC1; p=none");
    expect(records.return_path).toEqual({ type: "CNAME", name: "bounces.example.org", value: "example.org" });
  });

  it("uses each provider's documented SPF include and return path", () => {
    expect(spfIncludeFor("ses")).toBe("amazonses.com");
    expect(spfIncludeFor("sendgrid")).toBe("sendgrid.net");
    expect(spfIncludeFor("mailgun")).toBe("mailgun.org");
    expect(spfIncludeFor("mailgun", { region: "EU" })).toBe("eu.mailgun.org");
    expect(spfIncludeFor("postmark")).toBe("spf.mtasv.net");
    expect(spfIncludeFor("smtp")).toBeNull();
    expect(spfIncludeFor("capture")).toBeNull();

    expect(returnPathFor("example.com", "ses", { region: "eu-west-1" })).toEqual({
      name: "bounce.example.com",
      target: "feedback-smtp.eu-west-1.amazonses.com",
      type: "MX",
    });
    expect(returnPathFor("example.com", "ses").target).toBe("feedback-smtp.us-east-1.amazonses.com");
    expect(returnPathFor("example.com", "sendgrid")).toEqual({ name: "em.example.com", target: "mx.sendgrid.net", type: "MX" });
    expect(returnPathFor("example.com", "mailgun", { region: "eu" }).target).toBe("eu.mailgun.org");
    expect(returnPathFor("example.com", "postmark")).toEqual({ name: "pm-bounces.example.com", target: "pm.mtasv.net", type: "CNAME" });

    const ses = buildDnsRecords({
      domain: "example.com",
      dkimSelector: "fc202611",
      dkimPublicKey: "AAAA",
      spfIncludes: ["amazonses.com"],
      returnPath: returnPathFor("example.com", "ses"),
    });
    expect(ses.return_path).toEqual({ type: "MX", name: "bounce.example.com", value: "10 feedback-smtp.us-east-1.amazonses.com" });
  });
});
