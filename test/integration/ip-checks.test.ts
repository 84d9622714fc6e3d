import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { blocklistCheckOf, checkBlocklists, checkPtr, parseIp, summarizeBlocklists } from "../../src/domain/dedicated-ips/ip-checks";
import { dohResolver } from "../../src/domain/dns/doh-resolver";
import { delayName, downResolver, failName, publish, standInResolver, uniqueDomain } from "../stand-ins/doh-zone";

const now = new Date("2026-11-28T12:00:00Z");
const resolver = standInResolver();

/** A random address in 10.0.0.0/8, so tests running side by side never share a reverse name. */
function randomIpv4() {
  const [a, b, c] = crypto.getRandomValues(new Uint8Array(3));
  const ip = `10.${a}.${b}.${c}`;
  return { ip, reversed: `${c}.${b}.${a}.10` };
}

describe("parseIp", () => {
  it("builds the reverse names of RFC 1035 and RFC 3596", () => {
    expect(parseIp("192.0.2.1")).toMatchObject({ version: 4, reversed: "1.2.0.192", arpaZone: "in-addr.arpa" });
    expect(parseIp("4321:0:1:2:3:4:567:89ab")).toMatchObject({
      version: 6,
      reversed: "b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.0.0.0.0.1.2.3.4",
      arpaZone: "ip6.arpa",
    });
    expect(parseIp("2001:DB8::1")?.canonical).toBe("2001:0db8:0000:0000:0000:0000:0000:0001");
    expect(parseIp("::ffff:192.0.2.1")?.canonical).toBe("0000:0000:0000:0000:0000:ffff:c000:0201");
    expect(parseIp("::")?.canonical).toBe("0000:0000:0000:0000:0000:0000:0000:0000");
    expect(parseIp("0:0:0:0:0:ffff:192.0.2.1")?.canonical).toBe("0000:0000:0000:0000:0000:ffff:c000:0201");
  });

  it("writes an IPv6 address as RFC 5952 does: lowercase, no leading zeros, the longest zero run (first on a tie) as ::", () => {
    const written = (text: string) => parseIp(text)?.presentation;
    expect(written("2001:DB8:0:0::1")).toBe("2001:db8::1");
    expect(written("2001:0db8:0000:0000:0001:0000:0000:0001")).toBe("2001:db8::1:0:0:1");
    expect(written("2001:db8:0:1:0:0:0:1")).toBe("2001:db8:0:1::1");
    expect(written("2001:db8:0:1:1:1:1:1")).toBe("2001:db8:0:1:1:1:1:1");
    expect(written("0:0:0:0:0:0:0:0")).toBe("::");
    expect(written("fe80:0:0:0:0:0:0:0")).toBe("fe80::");
    expect(written("203.0.113.25")).toBe("203.0.113.25");
  });

  it.each(["", "1.2.3", "1.2.3.256", "01.2.3.4", "1::2::3", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7:8::", "12345::", "mail.example.com"])(
    "refuses %j",
    (text) => {
      expect(parseIp(text)).toBeNull();
    },
  );
});

describe("checkPtr", () => {
  it("verifies forward-confirmed reverse DNS", async () => {
    const { ip, reversed } = randomIpv4();
    const hostname = `mta1.${uniqueDomain()}`;
    await publish(
      { name: `${reversed}.in-addr.arpa`, type: "PTR", value: `${hostname.toUpperCase()}.` },
      { name: hostname, type: "A", value: "192.0.2.99" },
      { name: hostname, type: "A", value: ip },
    );
    expect(await checkPtr(resolver, ip, hostname)).toEqual({ verified: true, ptr: [hostname.toUpperCase()], reason: null });
  });

  it("verifies an IPv6 address through its nibble name and AAAA", async () => {
    const hostname = `mta6.${uniqueDomain()}`;
    const suffix = [...crypto.getRandomValues(new Uint16Array(2))].map((n) => n.toString(16)).join(":");
    const ip = `2001:db8::${suffix}`;
    const address = parseIp(ip);
    await publish(
      { name: `${address?.reversed}.ip6.arpa`, type: "PTR", value: hostname },
      { name: hostname, type: "AAAA", value: address?.canonical ?? "" },
    );
    expect(await checkPtr(resolver, ip, hostname)).toMatchObject({ verified: true, reason: null });
  });

  it("fails when the PTR names another host", async () => {
    const { ip, reversed } = randomIpv4();
    await publish({ name: `${reversed}.in-addr.arpa`, type: "PTR", value: "static-10-0-0-1.isp.example" });
    expect(await checkPtr(resolver, ip, "mta1.example.com")).toEqual({
      verified: false,
      ptr: ["static-10-0-0-1.isp.example"],
      reason: `The PTR of ${ip} is static-10-0-0-1.isp.example, expected mta1.example.com`,
    });
  });

  it("fails when the PTR's host does not resolve back to the IP", async () => {
    const { ip, reversed } = randomIpv4();
    const hostname = `mta1.${uniqueDomain()}`;
    await publish({ name: `${reversed}.in-addr.arpa`, type: "PTR", value: hostname }, { name: hostname, type: "A", value: "192.0.2.7" });
    expect(await checkPtr(resolver, ip, hostname)).toEqual({
      verified: false,
      ptr: [hostname],
      reason: `${hostname} resolves to 192.0.2.7, not ${ip}`,
    });
  });

  it("fails without a PTR, without a hostname, and when DNS cannot answer", async () => {
    const { ip, reversed } = randomIpv4();
    expect(await checkPtr(resolver, ip, "mta1.example.com")).toMatchObject({ verified: false, reason: `${ip} has no PTR record` });

    await publish({ name: `${reversed}.in-addr.arpa`, type: "PTR", value: "mta1.example.com" });
    expect(await checkPtr(resolver, ip, null)).toMatchObject({ verified: false, ptr: ["mta1.example.com"] });

    await failName(`${reversed}.in-addr.arpa`);
    expect(await checkPtr(resolver, ip, "mta1.example.com")).toEqual({
      verified: false,
      ptr: [],
      reason: "PTR lookup failed: resolver answered SERVFAIL",
    });
  });

  it("reports a failed forward lookup as such", async () => {
    const { ip, reversed } = randomIpv4();
    const hostname = `mta1.${uniqueDomain()}`;
    await publish({ name: `${reversed}.in-addr.arpa`, type: "PTR", value: hostname });
    await failName(hostname);
    expect((await checkPtr(resolver, ip, hostname)).reason).toBe(`A lookup of ${hostname} failed: resolver answered SERVFAIL`);
  });
});

describe("checkBlocklists", () => {
  it("is listed where a zone answers 127.0.0.x, not listed where it answers NXDOMAIN, and unknown where it refuses or fails", async () => {
    const { ip, reversed } = randomIpv4();
    const [listing, clean, refusing, failing] = ["listing", "clean", "refusing", "failing"].map(
      (label) => `${label}.${uniqueDomain("bl")}`,
    );
    await publish(
      { name: `${reversed}.${listing}`, type: "A", value: "127.0.0.2" },
      { name: `${reversed}.${listing}`, type: "A", value: "127.0.0.4" },
      { name: `${reversed}.${refusing}`, type: "A", value: "127.255.255.254" },
    );
    await failName(`${reversed}.${failing}`);

    const checks = await checkBlocklists(resolver, ip, [listing, clean, refusing, failing], now);
    expect(checks).toEqual([
      { zone: listing, status: "listed", listed: true, checked_at: "2026-11-28T12:00:00.000Z", detail: "listed: 127.0.0.2, 127.0.0.4" },
      { zone: clean, status: "not_listed", listed: false, checked_at: "2026-11-28T12:00:00.000Z" },
      {
        zone: refusing,
        status: "unknown",
        listed: null,
        checked_at: "2026-11-28T12:00:00.000Z",
        detail: expect.stringContaining("query refused (127.255.255.254): queries through public resolvers are refused"),
      },
      {
        zone: failing,
        status: "unknown",
        listed: null,
        checked_at: "2026-11-28T12:00:00.000Z",
        detail: "lookup failed: resolver answered SERVFAIL",
      },
    ]);
    expect(summarizeBlocklists(checks)).toBe("listed");
    expect(summarizeBlocklists(checks.slice(1))).toBe("unknown");
    expect(summarizeBlocklists(checks.slice(1, 2))).toBe("clean");
    expect(summarizeBlocklists([])).toBe("unknown");
  });

  it("is unknown, never clean, when the resolver times out or cannot be reached", async () => {
    const { ip, reversed } = randomIpv4();
    const zone = uniqueDomain("bl");
    await delayName(`${reversed}.${zone}`, 3_000);
    const slow = await checkBlocklists(dohResolver(env.DNS_RESOLVER_URL, { timeoutMs: 200 }), ip, [zone], now);
    expect(slow).toEqual([
      {
        zone,
        status: "unknown",
        listed: null,
        checked_at: now.toISOString(),
        detail: "lookup failed: resolver did not answer within 200 ms",
      },
    ]);
    const down = await checkBlocklists(downResolver(), ip, [zone], now);
    expect(down).toMatchObject([
      { status: "unknown", listed: null, detail: expect.stringMatching(/^lookup failed: resolver unreachable/) },
    ]);
    expect(summarizeBlocklists([...slow, ...down])).toBe("unknown");
  });

  it("reads checks stored before they had a status: a failed or refused lookup was stored as listed: false", () => {
    const at = now.toISOString();
    expect(
      blocklistCheckOf({ zone: "a", listed: false, checked_at: at, detail: "lookup failed: resolver answered SERVFAIL" } as never),
    ).toMatchObject({
      status: "unknown",
      listed: null,
    });
    expect(blocklistCheckOf({ zone: "a", listed: false, checked_at: at } as never)).toMatchObject({ status: "not_listed", listed: false });
    expect(blocklistCheckOf({ zone: "a", listed: true, checked_at: at, detail: "listed: 127.0.0.2" } as never)).toMatchObject({
      status: "listed",
      listed: true,
    });
  });

  it("looks an IPv6 address up by its nibbles", async () => {
    const zone = uniqueDomain("bl6");
    const address = parseIp("2001:db8::25");
    await publish({ name: `${address?.reversed}.${zone}`, type: "A", value: "127.0.0.3" });
    expect(await checkBlocklists(resolver, "2001:db8::25", [zone], now)).toMatchObject([{ zone, listed: true }]);
  });

  it("does not count an answer outside 127.0.0.0/24, nor look up what is not an IP", async () => {
    const { ip, reversed } = randomIpv4();
    const zone = uniqueDomain("bl");
    await publish({ name: `${reversed}.${zone}`, type: "A", value: "192.0.2.1" });
    expect(await checkBlocklists(resolver, ip, [zone], now)).toMatchObject([
      { status: "unknown", listed: null, detail: "unexpected answer: 192.0.2.1" },
    ]);
    expect(await checkBlocklists(resolver, "10.0.0", [zone], now)).toMatchObject([
      { status: "unknown", listed: null, detail: "10.0.0 is not an IP address" },
    ]);
    expect(await checkPtr(resolver, "10.0.0", "mta1.example.com")).toMatchObject({
      verified: false,
      reason: "10.0.0 is not an IPv4 or IPv6 address",
    });
  });
});
