import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { classifyHit, type HitFacts, inRange, SCANNER_CLICK_WINDOW_SECONDS } from "../../src/domain/tracking/classify";
import { trackingHit } from "../../src/domain/tracking/hits";
import { addTracking, redirectTarget, trackingApplies, trackingBaseUrl } from "../../src/domain/tracking/links";
import {
  readClickToken,
  readPixelToken,
  signClickToken,
  signPixelToken,
  TRAP_LINK_INDEX,
  type TrackedMessage,
} from "../../src/domain/tracking/tokens";
import { describeUserAgent } from "../../src/domain/tracking/user-agent";
import { bytesToBase64Url } from "../../src/lib/encoding";
import { type SigningKeys, signToken } from "../../src/lib/signing";

const KEYS: SigningKeys = { TRACKING_SIGNING_KEY: "tracking-test-secret-0123456789abcdef" };
const ROTATED: SigningKeys = {
  TRACKING_SIGNING_KEY: "the-next-secret-0123456789abcdefghij",
  TRACKING_SIGNING_KEYS_OLD: KEYS.TRACKING_SIGNING_KEY,
};
const MESSAGE: TrackedMessage = {
  workspaceId: "ws_1",
  campaignId: "cmp_1",
  recipientId: "rcp_1",
  sentAt: new Date("2026-12-01T10:00:00Z"),
};

afterEach(() => vi.restoreAllMocks());

describe("tracking tokens", () => {
  it("round-trip the message and the link", async () => {
    expect(await readPixelToken(KEYS, await signPixelToken(KEYS, MESSAGE))).toEqual(MESSAGE);
    const click = await signClickToken(KEYS, MESSAGE, 3, "https://example.com/a?b=1&c=2");
    expect(await readClickToken(KEYS, click)).toEqual({ ...MESSAGE, linkIndex: 3, url: "https://example.com/a?b=1&c=2" });
  });

  it("carry no address and use the URL-safe alphabet", async () => {
    const token = await signClickToken(KEYS, MESSAGE, 0, "https://example.com/");
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(
      atob(
        token
          .replaceAll("-", "+")
          .replaceAll("_", "/")
          .padEnd(Math.ceil(token.length / 4) * 4, "="),
      ),
    ).not.toContain("@");
  });

  it("refuse any altered character, and a pixel token as a click token and back", async () => {
    const click = await signClickToken(KEYS, MESSAGE, 0, "https://example.com/");
    const pixel = await signPixelToken(KEYS, MESSAGE);
    for (let i = 0; i < click.length; i++) {
      const flipped = click.slice(0, i) + (click[i] === "A" ? "B" : "A") + click.slice(i + 1);
      expect(await readClickToken(KEYS, flipped), `character ${i}`).toBeNull();
    }
    expect(await readClickToken(KEYS, pixel)).toBeNull();
    expect(await readPixelToken(KEYS, click)).toBeNull();
    expect(await readClickToken(KEYS, "")).toBeNull();
    expect(await readPixelToken(KEYS, "not a token")).toBeNull();
  });

  it("refuse a validly signed payload of the wrong shape", async () => {
    const garbage = await signToken(KEYS, "click-link", new TextEncoder().encode("https://evil.example/"));
    expect(await readClickToken(KEYS, garbage)).toBeNull();
  });

  it("keep working after the key rotates, and fail for a key nobody holds", async () => {
    const old = await signClickToken(KEYS, MESSAGE, 1, "https://example.com/old");
    expect((await readClickToken(ROTATED, old))?.url).toBe("https://example.com/old");
    expect(await readPixelToken(ROTATED, await signPixelToken(KEYS, MESSAGE))).toEqual(MESSAGE);
    const forgotten: SigningKeys = { TRACKING_SIGNING_KEY: ROTATED.TRACKING_SIGNING_KEY };
    expect(await readClickToken(forgotten, old)).toBeNull();
    const unknownKid = await signClickToken(
      { TRACKING_SIGNING_KEY: "someone-elses-secret-0123456789abcdef" },
      MESSAGE,
      1,
      "https://example.com/",
    );
    expect(await readClickToken(KEYS, unknownKid)).toBeNull();
  });
});

describe("redirect targets", () => {
  it.each([
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    " javascript:alert(1)",
    "//evil.example/",
    "/\\evil.example",
    "data:text/html,<script>alert(1)</script>",
    "https:evil.example",
    "http://",
    "ftp://example.com/",
    "%68ttps://evil.example",
    "",
  ])("refuse %j", (url) => {
    expect(redirectTarget(url)).toBeNull();
  });

  it("accept absolute http(s) URLs, normalized", () => {
    expect(redirectTarget("https://example.com/a b")).toBe("https://example.com/a%20b");
    expect(redirectTarget("HTTP://Example.com")).toBe("http://example.com/");
  });

  it("serve tracking over http only on a local domain", () => {
    expect(trackingBaseUrl("t.example.com")).toBe("https://t.example.com");
    expect(trackingBaseUrl("localhost:8787")).toBe("http://localhost:8787");
    expect(trackingBaseUrl("127.0.0.1:8787")).toBe("http://127.0.0.1:8787");
  });
});

describe("addTracking", () => {
  const options = {
    keys: KEYS,
    trackingDomain: "t.example.com",
    message: MESSAGE,
    untrackedPrefixes: ["https://app.example.com/preferences/tok"],
  };
  const clickTokens = (html: string) => [...html.matchAll(/https:\/\/t\.example\.com\/t\/c\/([A-Za-z0-9_-]+)/g)].map((m) => m[1]);

  it("rewrites every http(s) link and only those, keeps the original in the token, adds pixel and trap", async () => {
    const html =
      "<html><body>" +
      '<a href="https://example.com/one?a=1&amp;b=2">One</a>' +
      "<a class=x href='http://example.com/two'>Two</a>" +
      "<A HREF=https://example.com/three>Three</A>" +
      '<area href="https://example.com/map">' +
      '<a href="https://app.example.com/preferences/tok">Preferences</a>' +
      '<a href="https://app.example.com/preferences/tok/unsubscribe">Unsubscribe</a>' +
      '<a href="mailto:hi@example.com">Mail</a><a href="tel:+1555">Call</a><a href="#top">Top</a>' +
      '<a href="javascript:void(0)">JS</a><a name="anchor">No href</a>' +
      "</body></html>";
    const out = await addTracking(html, options);
    const tokens = clickTokens(out);
    const claims = await Promise.all(tokens.map((t) => readClickToken(KEYS, t)));
    expect(claims.map((c) => [c?.linkIndex, c?.url])).toEqual([
      [0, "https://example.com/one?a=1&b=2"],
      [1, "http://example.com/two"],
      [2, "https://example.com/three"],
      [3, "https://example.com/map"],
      [TRAP_LINK_INDEX, ""],
    ]);
    for (const kept of [
      'href="https://app.example.com/preferences/tok"',
      'href="https://app.example.com/preferences/tok/unsubscribe"',
      'href="mailto:hi@example.com"',
      'href="tel:+1555"',
      'href="#top"',
      'href="javascript:void(0)"',
    ]) {
      expect(out).toContain(kept);
    }
    expect(out).toMatch(
      /<img src="https:\/\/t\.example\.com\/t\/p\/[A-Za-z0-9_-]+\.gif" width="1" height="1" alt="" style="display:none"><\/body><\/html>$/,
    );
    const pixel = /\/t\/p\/([A-Za-z0-9_-]+)\.gif/.exec(out)?.[1] ?? "";
    expect(await readPixelToken(KEYS, pixel)).toEqual(MESSAGE);
    expect(out).toContain('class=x href="https://t.example.com/t/c/');
  });

  it("leaves a link too long for a token untracked instead of failing the message", async () => {
    const long = `https://example.com/${"x".repeat(5000)}`;
    const out = await addTracking(`<a href="${long}">Long</a><a href="https://example.com/short">Short</a>`, options);
    expect(out).toContain(`<a href="${long}">Long</a>`);
    const claims = await Promise.all(clickTokens(out).map((t) => readClickToken(KEYS, t)));
    expect(claims.map((c) => [c?.linkIndex, c?.url])).toEqual([
      [1, "https://example.com/short"],
      [TRAP_LINK_INDEX, ""],
    ]);
  });

  it("appends pixel and trap when there is no body element", async () => {
    const out = await addTracking("<p>Hi</p>", options);
    expect(out.startsWith("<p>Hi</p><a href=")).toBe(true);
    expect(out.endsWith('style="display:none">')).toBe(true);
  });

  it("signs each link, the pixel and the trap link with keys derived once, without WebCrypto per token", async () => {
    await signPixelToken(KEYS, MESSAGE);
    const calls = ["sign", "deriveBits", "deriveKey", "importKey", "digest"].map((m) => vi.spyOn(crypto.subtle, m as "sign"));
    const links = Array.from({ length: 20 }, (_, i) => `<a href="https://example.com/${i}">${i}</a>`).join("");
    const html = await addTracking(`<body>${links}</body>`, options);
    expect(html.match(/\/t\/c\//g)).toHaveLength(21);
    expect(html.match(/\/t\/p\//g)).toHaveLength(1);
    for (const call of calls) expect(call).not.toHaveBeenCalled();
  });

  it("is on only when both the campaign and the provider want it", () => {
    expect(trackingApplies({ tracking_enabled: true }, { settings: {} })).toBe(true);
    expect(trackingApplies({ tracking_enabled: true }, { settings: { tracking_enabled: true } })).toBe(true);
    expect(trackingApplies({ tracking_enabled: true }, { settings: { tracking_enabled: false } })).toBe(false);
    expect(trackingApplies({ tracking_enabled: false }, { settings: {} })).toBe(false);
  });
});

const SAFARI_MAC = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15";
const APPLE_MAIL = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148";
const GMAIL_PROXY = "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)";
const YAHOO_PROXY = "YahooMailProxy; https://help.yahoo.com/kb/yahoo-mail-proxy-SLN28749.html";

describe("classifyHit", () => {
  const sentAt = new Date("2026-12-01T10:00:00Z");
  const human: HitFacts = {
    eventType: "click",
    userAgent: SAFARI_MAC,
    ip: "203.0.113.9",
    occurredAt: new Date("2026-12-01T11:00:00Z"),
    sentAt,
    trapLink: false,
  };
  const classify = (changes: Partial<HitFacts>) => classifyHit({ ...human, ...changes });

  it("a person's open or click is human", () => {
    expect(classify({})).toEqual({ traffic_class: "human", traffic_reason: null });
    expect(classify({ eventType: "open", userAgent: APPLE_MAIL })).toEqual({ traffic_class: "human", traffic_reason: null });
  });

  it("the trap link is a bot, whatever the agent", () => {
    expect(classify({ trapLink: true })).toEqual({ traffic_class: "bot", traffic_reason: "trap_link" });
  });

  it.each([
    ["Mozilla/5.0 (compatible; Barracuda Sentinel)", "scanner_agent:barracuda"],
    ["Proofpoint URL Defense", "scanner_agent:proofpoint"],
    ["Mimecast-Url-Protect/1.0", "scanner_agent:mimecast"],
    ["Microsoft Office SafeLinks", "scanner_agent:microsoft_safe_links"],
  ])("scanner agent %j is a bot", (userAgent, reason) => {
    expect(classify({ userAgent })).toEqual({ traffic_class: "bot", traffic_reason: reason });
  });

  it.each([
    ["148.163.140.1", "scanner_range:proofpoint"],
    ["64.235.150.7", "scanner_range:barracuda"],
    ["205.139.110.20", "scanner_range:mimecast"],
    ["40.107.22.1", "scanner_range:microsoft_safe_links"],
  ])("a click from scanner range %s is a bot", (ip, reason) => {
    expect(classify({ ip })).toEqual({ traffic_class: "bot", traffic_reason: reason });
  });

  it.each([
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 Safari/537.36",
    "python-requests/2.31.0",
    "curl/8.4.0",
    "Go-http-client/1.1",
  ])("automated agent %j is a bot", (userAgent) => {
    expect(classify({ userAgent })).toEqual({ traffic_class: "bot", traffic_reason: "automated_agent" });
  });

  it("no user agent at all is a bot", () => {
    expect(classify({ userAgent: null })).toEqual({ traffic_class: "bot", traffic_reason: "no_user_agent" });
  });

  it(`a click within ${SCANNER_CLICK_WINDOW_SECONDS} s of the send is a bot, later is human; opens are not timed`, () => {
    const soon = new Date(sentAt.getTime() + (SCANNER_CLICK_WINDOW_SECONDS - 1) * 1000);
    const later = new Date(sentAt.getTime() + SCANNER_CLICK_WINDOW_SECONDS * 1000);
    expect(classify({ occurredAt: soon })).toEqual({ traffic_class: "bot", traffic_reason: "click_too_soon" });
    expect(classify({ occurredAt: later }).traffic_class).toBe("human");
    expect(classify({ eventType: "open", occurredAt: soon }).traffic_class).toBe("human");
  });

  it("mail-provider image proxies are proxy opens", () => {
    expect(classify({ eventType: "open", userAgent: GMAIL_PROXY })).toEqual({
      traffic_class: "proxy",
      traffic_reason: "gmail_image_proxy",
    });
    expect(classify({ eventType: "open", userAgent: YAHOO_PROXY })).toEqual({ traffic_class: "proxy", traffic_reason: "yahoo_mail_proxy" });
    expect(classify({ eventType: "open", ip: "40.92.1.1" })).toEqual({ traffic_class: "proxy", traffic_reason: "outlook_image_proxy" });
    expect(classify({ userAgent: GMAIL_PROXY })).toEqual({ traffic_class: "bot", traffic_reason: "proxy_click:gmail_image_proxy" });
  });

  it("Apple Mail Privacy Protection (bare agent or Apple's network) is a proxy open", () => {
    expect(classify({ eventType: "open", userAgent: "Mozilla/5.0" })).toEqual({ traffic_class: "proxy", traffic_reason: "apple_mpp" });
    expect(classify({ eventType: "open", ip: "17.58.1.2", userAgent: APPLE_MAIL })).toEqual({
      traffic_class: "proxy",
      traffic_reason: "apple_mpp",
    });
  });

  it("matches CIDR ranges exactly at their edges", () => {
    expect(inRange("148.163.128.0", "148.163.128.0/19")).toBe(true);
    expect(inRange("148.163.159.255", "148.163.128.0/19")).toBe(true);
    expect(inRange("148.163.160.0", "148.163.128.0/19")).toBe(false);
    expect(inRange("2001:db8::1", "148.163.128.0/19")).toBe(false);
    expect(inRange("300.1.1.1", "17.0.0.0/8")).toBe(false);
    expect(inRange("017.0.0.1", "17.0.0.0/8")).toBe(true);
    for (const bad of [
      "17.0.0",
      "17.0.0.1.2",
      "17..0.1",
      "17.0.0.",
      ".17.0.0.1",
      "17.0.0.1000",
      "17.0.0.a",
      " 17.0.0.1",
      "",
      "17.0.0.256",
      "0017.0.0.1",
    ]) {
      expect(inRange(bad, "0.0.0.0/0"), bad).toBe(false);
    }
  });

  it("property: reads an address as the dotted-quad rule does (four parts of 1 to 3 digits, each at most 255)", () => {
    const rule = (ip: string) => {
      const parts = ip.split(".");
      return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
    };
    fc.assert(
      fc.property(
        fc.oneof(
          fc.array(fc.stringMatching(/^[0-9]{0,4}$/), { minLength: 3, maxLength: 5 }).map((parts) => parts.join(".")),
          fc.stringMatching(/^[0-9.]{0,18}$/),
        ),
        (ip) => {
          expect(inRange(ip, "0.0.0.0/0")).toBe(rule(ip));
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe("trackingHit", () => {
  it("carries the token's claims, the country and the class, never the IP", () => {
    const hit = trackingHit(
      { ...MESSAGE, linkIndex: 2, url: "https://example.com/" },
      { userAgent: SAFARI_MAC, ip: "203.0.113.9", country: "DE", now: new Date("2026-12-01T11:00:00Z") },
    );
    expect(hit).toEqual({
      kind: "tracking_hit",
      id: expect.any(String),
      workspace_id: "ws_1",
      campaign_id: "cmp_1",
      recipient_id: "rcp_1",
      event_type: "click",
      url: "https://example.com/",
      link_index: 2,
      occurred_at: "2026-12-01T11:00:00.000Z",
      sent_at: "2026-12-01T10:00:00.000Z",
      user_agent: SAFARI_MAC,
      ip_country: "DE",
      traffic_class: "human",
      traffic_reason: null,
    });
    expect(JSON.stringify(hit)).not.toContain("203.0.113.9");
  });

  it.each([
    ["DE", "DE"],
    ["T1", "T1"],
    ["XX", null],
    [null, null],
    ["de", null],
    ["DEU", null],
    ["<script>", null],
  ])("takes the country %j from CF-IPCountry as %j", (header, country) => {
    const hit = trackingHit(MESSAGE, { userAgent: SAFARI_MAC, ip: null, country: header, now: new Date("2026-12-01T11:00:00Z") });
    expect(hit.ip_country).toBe(country);
  });
});

describe("describeUserAgent", () => {
  it.each([
    [SAFARI_MAC, { device_type: "desktop", os: "Mac OS", email_client: "Safari" }],
    [APPLE_MAIL, { device_type: "mobile", os: "iOS", email_client: "Apple Mail" }],
    [GMAIL_PROXY, { device_type: "proxy", os: null, email_client: "Gmail" }],
    [YAHOO_PROXY, { device_type: "proxy", os: null, email_client: "Yahoo Mail" }],
    [
      "Mozilla/4.0 (compatible; ms-office; MSOffice 16; Microsoft Outlook 16.0.17029; Windows NT 10.0)",
      { device_type: "desktop", os: "Windows", email_client: "Outlook" },
    ],
    [null, { device_type: "unknown", os: null, email_client: null }],
  ])("%j", (ua, expected) => {
    expect(describeUserAgent(ua)).toEqual(expected);
  });
});

it("a token made by hand from the wrong payload bytes is refused", async () => {
  expect(await readPixelToken(KEYS, bytesToBase64Url(new Uint8Array(40)))).toBeNull();
});
