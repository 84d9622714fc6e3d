import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { dohResolver } from "../../src/domain/dns/doh-resolver";
import { generateDkimKeyPair } from "../../src/domain/domains/dkim";
import { buildDnsRecords, type DomainDnsRecords } from "../../src/domain/domains/dns-records";
import { type ProviderType, returnPathFor, spfIncludeFor } from "../../src/domain/domains/provider-dns";
import { type RecordName, verifyDomain } from "../../src/domain/domains/verification";
import { asStandIn, delayName, downResolver, failName, publish, standInResolver, uniqueDomain } from "../stand-ins/doh-zone";

const now = new Date("2026-11-28T12:00:00Z");
let publicKey: string;
let otherPublicKey: string;

beforeAll(async () => {
  [{ publicKey }, { publicKey: otherPublicKey }] = await Promise.all([generateDkimKeyPair(), generateDkimKeyPair()]);
});

interface Domain {
  domain: string;
  records: DomainDnsRecords;
  spfIncludes: string[];
}

function newDomain(providers: ProviderType[] = ["postmark", "ses"]): Domain {
  const domain = uniqueDomain();
  const spfIncludes = providers.map((p) => spfIncludeFor(p)).filter((include) => include !== null);
  const records = buildDnsRecords({
    domain,
    dkimSelector: "fc202611",
    dkimPublicKey: publicKey,
    spfIncludes,
    returnPath: returnPathFor(domain, providers[0]),
    dmarcReportEmail: `dmarc@${domain}`,
  });
  return { domain, records, spfIncludes };
}

/** Publishes every record as a person would paste it, except the ones named in `except`. */
const publishAll = (d: Domain, ...except: RecordName[]) =>
  publish(
    ...(Object.entries(d.records) as [RecordName, DomainDnsRecords[RecordName]][])
      .filter(([name]) => !except.includes(name))
      .map(([, record]) => asStandIn(record)),
  );

const verify = (d: Domain, resolver = standInResolver()) =>
  verifyDomain(resolver, { domain: d.domain, records: d.records, dkimPublicKey: publicKey, spfIncludes: d.spfIncludes }, now);

const checkOf = async (d: Domain, record: RecordName) => {
  const result = await verify(d);
  return { result, check: result.checks.find((c) => c.record === record) };
};

describe("verifyDomain against the DoH stand-in", () => {
  it("verifies a domain that published every record as given", async () => {
    const d = newDomain();
    await publishAll(d);
    const result = await verify(d);
    expect(result).toEqual({
      status: "verified",
      checked_at: "2026-11-28T12:00:00.000Z",
      checks: [
        { record: "spf", status: "pass", expected: d.records.spf.value, found: [d.records.spf.value], reason: null },
        {
          record: "dkim",
          status: "pass",
          expected: d.records.dkim.value,
          found: [`v=DKIM1; k=rsa; p=${publicKey}`],
          reason: null,
        },
        { record: "dmarc", status: "pass", expected: d.records.dmarc.value, found: [d.records.dmarc.value], reason: null },
        { record: "return_path", status: "pass", expected: "pm.mtasv.net", found: ["pm.mtasv.net"], reason: null },
      ],
    });
  });

  it.each(["spf", "dkim", "dmarc", "return_path"] as const)("fails with a reason when %s is missing", async (missing) => {
    const d = newDomain();
    await publishAll(d, missing);
    const result = await verify(d);
    expect(result.status).toBe("failed");
    for (const check of result.checks) {
      if (check.record === missing) {
        expect(check.status).toBe("missing");
        expect(check.found).toEqual([]);
        expect(check.reason).toContain(d.records[missing].name);
      } else {
        expect(check.status).toBe("pass");
      }
    }
  });

  describe("DKIM", () => {
    it("fails when the published key is another one", async () => {
      const d = newDomain();
      await publishAll(d, "dkim");
      await publish({ name: d.records.dkim.name, type: "TXT", value: `v=DKIM1; k=rsa; p=${otherPublicKey}` });
      const { result, check } = await checkOf(d, "dkim");
      expect(result.status).toBe("failed");
      expect(check?.status).toBe("fail");
      expect(check?.reason).toContain("DKIM key does not match");
      expect(check?.reason).toContain(otherPublicKey.slice(-16));
      expect(check?.reason).toContain(publicKey.slice(-16));
    });

    it("passes when the key is split into strings anywhere, folded with whitespace, or pasted unsplit", async () => {
      const splits = [
        ["v=DKIM1; k=rsa; p=", publicKey.slice(0, 200), publicKey.slice(200)],
        [`v=DKIM1;k=rsa;p=${publicKey.slice(0, 7)}`, ` ${publicKey.slice(7, 300)}  `, `\t${publicKey.slice(300)}`],
        [`k=rsa; p=${publicKey.slice(0, 255 - 9)}`, `${publicKey.slice(255 - 9)};`],
      ];
      for (const strings of splits) {
        const d = newDomain();
        await publishAll(d, "dkim");
        await publish({ name: d.records.dkim.name, type: "TXT", strings });
        expect((await checkOf(d, "dkim")).check).toMatchObject({ status: "pass", reason: null });
      }
      const d = newDomain();
      await publishAll(d, "dkim");
      await publish({ name: d.records.dkim.name, type: "TXT", value: `v=DKIM1; k=rsa; p=${publicKey}` });
      expect((await checkOf(d, "dkim")).check?.status).toBe("pass");
    });

    it.each([
      ["a revoked key", () => "v=DKIM1; k=rsa; p=", "revoked"],
      ["another key type", () => `v=DKIM1; k=ed25519; p=${publicKey}`, "k=ed25519"],
      ["no p= tag", () => "v=DKIM1; k=rsa", "no public key"],
      ["a repeated tag", () => `v=DKIM1; p=${publicKey}; p=${publicKey}`, "not a valid tag list"],
    ])("fails on %s", async (_, value, reason) => {
      const d = newDomain();
      await publishAll(d, "dkim");
      await publish({ name: d.records.dkim.name, type: "TXT", value: value() });
      const { check } = await checkOf(d, "dkim");
      expect(check?.status).toBe("fail");
      expect(check?.reason).toContain(reason);
    });

    it("fails when two TXT records sit at the selector", async () => {
      const d = newDomain();
      await publishAll(d, "dkim");
      await publish(
        { name: d.records.dkim.name, type: "TXT", value: d.records.dkim.value },
        { name: d.records.dkim.name, type: "TXT", value: `v=DKIM1; k=rsa; p=${otherPublicKey}` },
      );
      const { check } = await checkOf(d, "dkim");
      expect(check?.status).toBe("fail");
      expect(check?.reason).toContain("2 TXT records");
    });
  });

  describe("SPF", () => {
    it("fails on two SPF records, as RFC 7208 makes that an error", async () => {
      const d = newDomain();
      await publishAll(d, "spf");
      await publish(
        { name: d.domain, type: "TXT", value: d.records.spf.value },
        { name: d.domain, type: "TXT", value: "v=spf1 include:_spf.google.com ~all" },
      );
      const { check } = await checkOf(d, "spf");
      expect(check?.status).toBe("fail");
      expect(check?.found).toHaveLength(2);
      expect(check?.reason).toContain("2 SPF records");
      expect(check?.reason).toContain("include:spf.mtasv.net include:amazonses.com");
    });

    it("fails when a required include is absent, negated, or after all", async () => {
      for (const value of [
        "v=spf1 include:spf.mtasv.net ~all",
        "v=spf1 include:spf.mtasv.net -include:amazonses.com ~all",
        "v=spf1 include:spf.mtasv.net ~all include:amazonses.com",
      ]) {
        const d = newDomain();
        await publishAll(d, "spf");
        await publish({ name: d.domain, type: "TXT", value });
        const { check } = await checkOf(d, "spf");
        expect(check?.status).toBe("fail");
        expect(check?.reason).toContain(value);
        expect(check?.reason).toContain("must contain include:amazonses.com");
      }
    });

    it("passes with other mechanisms and TXT records around it", async () => {
      const d = newDomain();
      await publishAll(d, "spf");
      await publish(
        {
          name: d.domain,
          type: "TXT",
          value: "V=SPF1 ip4:192.0.2.0/24 mx +include:SPF.MTASV.NET. include:_spf.google.com include:amazonses.com -all",
        },
        { name: d.domain, type: "TXT", value: "google-site-verification=abc" },
        { name: d.domain, type: "TXT", value: "v=spf10 not an spf record" },
      );
      const { check } = await checkOf(d, "spf");
      expect(check?.status).toBe("pass");
      expect(check?.found).toHaveLength(1);
    });
  });

  describe("DMARC", () => {
    it.each([
      ["no policy", "v=DMARC1; rua=mailto:dmarc@example.com", "has no policy"],
      ["an unknown policy", "v=DMARC1; p=monitor", "p=monitor"],
    ])("fails with %s", async (_, value, reason) => {
      const d = newDomain();
      await publishAll(d, "dmarc");
      await publish({ name: d.records.dmarc.name, type: "TXT", value });
      const { result, check } = await checkOf(d, "dmarc");
      expect(result.status).toBe("failed");
      expect(check?.status).toBe("fail");
      expect(check?.reason).toContain(reason);
    });

    it("accepts any of the three policies", async () => {
      for (const policy of ["none", "quarantine", "Reject"]) {
        const d = newDomain();
        await publishAll(d, "dmarc");
        await publish({ name: d.records.dmarc.name, type: "TXT", value: `v=DMARC1;p=${policy};pct=100` });
        expect((await checkOf(d, "dmarc")).check?.status).toBe("pass");
      }
    });

    it("counts a record that is not v=DMARC1 as missing, and says what is there", async () => {
      const d = newDomain();
      await publishAll(d, "dmarc");
      await publish({ name: d.records.dmarc.name, type: "TXT", value: "p=none" });
      const { check } = await checkOf(d, "dmarc");
      expect(check).toMatchObject({ status: "missing", found: ["p=none"] });
    });
  });

  describe("return path", () => {
    it("matches the CNAME target whatever its case and trailing dot", async () => {
      const d = newDomain();
      await publishAll(d, "return_path");
      await publish({ name: d.records.return_path.name, type: "CNAME", value: "PM.MTASV.NET." });
      expect((await checkOf(d, "return_path")).check?.status).toBe("pass");
    });

    it("fails when the CNAME points elsewhere", async () => {
      const d = newDomain();
      await publishAll(d, "return_path");
      await publish({ name: d.records.return_path.name, type: "CNAME", value: "bounces.example.net" });
      const { check } = await checkOf(d, "return_path");
      expect(check).toMatchObject({ status: "fail", found: ["bounces.example.net"] });
      expect(check?.reason).toContain("points to bounces.example.net, expected pm.mtasv.net");
    });

    it("checks an MX return path (SES custom MAIL FROM) by its exchange", async () => {
      const d = newDomain(["ses"]);
      expect(d.records.return_path.type).toBe("MX");
      await publishAll(d);
      expect((await verify(d)).status).toBe("verified");

      await publish({ name: d.records.return_path.name, type: "MX", value: "10 feedback-smtp.eu-west-1.amazonses.com" });
      const { check } = await checkOf(d, "return_path");
      expect(check?.status).toBe("fail");
      expect(check?.reason).toContain("expected feedback-smtp.us-east-1.amazonses.com");
    });
  });

  describe("when DNS cannot answer", () => {
    it("is verifying, with every check an error, when the resolver is down", async () => {
      const d = newDomain();
      const result = await verify(d, downResolver());
      expect(result.status).toBe("verifying");
      for (const check of result.checks) {
        expect(check.status).toBe("error");
        expect(check.reason).toMatch(/^DNS lookup of \S+ failed: resolver unreachable/);
      }
    });

    it("is verifying when one lookup fails and the rest pass, and failed when another record is also wrong", async () => {
      const d = newDomain();
      await publishAll(d, "dmarc");
      await failName(d.records.dmarc.name);
      const result = await verify(d);
      expect(result.status).toBe("verifying");
      expect(result.checks.find((c) => c.record === "dmarc")).toMatchObject({
        status: "error",
        reason: `DNS lookup of ${d.records.dmarc.name} failed: resolver answered SERVFAIL`,
      });

      await publish({ name: d.records.dkim.name, type: "TXT", value: `v=DKIM1; k=rsa; p=${otherPublicKey}` });
      expect((await verify(d)).status).toBe("failed");
    });
  });
});

describe("dohResolver", () => {
  it("unquotes and joins TXT strings, drops trailing dots and tells NXDOMAIN from no data", async () => {
    const domain = uniqueDomain();
    await publish(
      { name: domain, type: "TXT", strings: ["v=spf1 ", "include:a.example ~all"] },
      { name: domain, type: "TXT", value: "second" },
      { name: domain, type: "MX", value: "10 mx.example.net" },
      { name: `www.${domain}`, type: "CNAME", value: domain },
    );
    const resolver = standInResolver();
    expect(await resolver.resolve(domain, "TXT")).toEqual({ status: "ok", values: ["v=spf1 include:a.example ~all", "second"] });
    expect(await resolver.resolve(domain, "MX")).toEqual({ status: "ok", values: ["10 mx.example.net"] });
    expect(await resolver.resolve(`www.${domain}`, "CNAME")).toEqual({ status: "ok", values: [domain] });
    // Asked for TXT, the resolver follows the CNAME; the CNAME itself is not a TXT value.
    expect((await resolver.resolve(`www.${domain}`, "TXT")).values).toHaveLength(2);
    expect(await resolver.resolve(domain, "AAAA")).toEqual({ status: "ok", values: [] });
    expect(await resolver.resolve(`nothing.${domain}`, "TXT")).toEqual({ status: "nxdomain", values: [] });
  });

  it("gives up after its timeout", async () => {
    const domain = uniqueDomain();
    await delayName(domain, 1_000, { type: "TXT", value: "late" });
    const answer = await dohResolver(env.DNS_RESOLVER_URL, { timeoutMs: 100 }).resolve(domain, "TXT");
    expect(answer).toEqual({ status: "error", values: [], error: "resolver did not answer within 100 ms" });
  });

  it("reports HTTP errors and bodies that are not DNS JSON", async () => {
    const answering = (body: string, status = 200) =>
      dohResolver("https://doh.invalid/dns-query", { fetch: async () => new Response(body, { status }) });
    expect(await answering("{}", 503).resolve("example.test", "A")).toMatchObject({ status: "error", error: "resolver answered HTTP 503" });
    expect(await answering("<html>").resolve("example.test", "A")).toMatchObject({ error: "resolver sent a response that is not JSON" });
    expect(await answering('{"Answer": []}').resolve("example.test", "A")).toMatchObject({
      error: "resolver sent a response that is not DNS JSON",
    });
    expect(await answering('{"Status": 5}').resolve("example.test", "A")).toMatchObject({ error: "resolver answered REFUSED" });
  });

  it("asks with the JSON media type, the name and the type", async () => {
    let asked: Request | undefined;
    const resolver = dohResolver("https://doh.invalid/dns-query?ct=x", {
      fetch: async (input, init) => {
        asked = new Request(input, init);
        return Response.json({ Status: 0, Answer: [{ name: "x.example.", type: 12, TTL: 60, data: "mail.example.net." }] });
      },
    });
    expect(await resolver.resolve("4.3.2.1.in-addr.arpa", "PTR")).toEqual({ status: "ok", values: ["mail.example.net"] });
    expect(asked?.headers.get("accept")).toBe("application/dns-json");
    const url = new URL(asked?.url ?? "");
    expect([url.searchParams.get("name"), url.searchParams.get("type")]).toEqual(["4.3.2.1.in-addr.arpa", "PTR"]);
  });
});
