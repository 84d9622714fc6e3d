/// <reference types="vite/client" />
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { chooseRoute, MAX_FALLBACKS } from "../../src/domain/routing/router";
import type { DomainCandidate, ProviderCandidate, RoutingDecision, RoutingRequest } from "../../src/domain/routing/types";
import { seededRandom } from "../fixtures/seeded-random.mjs";

function domain(letter: string, overrides: Partial<DomainCandidate> = {}): DomainCandidate {
  return {
    domain_id: `dom_${letter}`,
    domain: `mail.${letter}.com`,
    status: "active",
    warming_status: "completed",
    health_score: 95,
    remaining_today: null,
    weight: 1,
    priority: 10,
    identities: [
      { identity_id: `idn_${letter}1`, email: `news@mail.${letter}.com`, is_default: false },
      { identity_id: `idn_${letter}2`, email: `hello@mail.${letter}.com`, is_default: true },
    ],
    isp_scores: {},
    dedicated_ip: null,
    ...overrides,
  };
}

function provider(id: string, overrides: Partial<ProviderCandidate> = {}): ProviderCandidate {
  return {
    provider_id: id,
    provider_type: id.split("-")[0],
    priority: 10,
    is_default: false,
    healthy: true,
    remaining_today: null,
    remaining_this_second: null,
    ...overrides,
  };
}

const request = (overrides: Partial<RoutingRequest> = {}): RoutingRequest => ({
  recipient_email: "someone@example.org",
  strategy: "priority",
  fallback_enabled: true,
  sequence: 0,
  ...overrides,
});

const providers = [provider("ses-1", { priority: 1 }), provider("postmark-1", { priority: 2 })];

function ok(decision: RoutingDecision) {
  if (!decision.ok) throw new Error(`expected a route, got: ${decision.reasons.join("; ")}`);
  return decision;
}

describe("strategies", () => {
  it("priority: lowest number first, then the healthier domain, with the domain's default identity", () => {
    const pool = [domain("a", { priority: 20, health_score: 99 }), domain("b", { health_score: 85 }), domain("c", { health_score: 92 })];
    const d = ok(chooseRoute(pool, providers, request()));
    expect(d).toMatchObject({ domain_id: "dom_c", identity_id: "idn_c2", provider_id: "ses-1", ip_id: null, isp: "other" });
    expect(d.reasons).toContain("mail.c.com: health 92 (excellent)");
    expect(d.reasons).toContain("priority 10 (lowest of 3 domains) → mail.c.com");
    expect(d.reasons).toContain("identity hello@mail.c.com (default)");
  });

  it("priority: an unscored domain comes after scored ones of the same priority, before higher numbers", () => {
    const pool = [domain("a", { health_score: null }), domain("b", { health_score: 81 }), domain("c", { priority: 11 })];
    expect(ok(chooseRoute(pool, providers, request())).domain_id).toBe("dom_b");
    expect(ok(chooseRoute([pool[0], pool[2]], providers, request())).domain_id).toBe("dom_a");
  });

  it("uses the first identity when none is the default", () => {
    const pool = [
      domain("a", {
        identities: [
          { identity_id: "idn_x", email: "x@mail.a.com", is_default: false },
          { identity_id: "idn_y", email: "y@mail.a.com", is_default: false },
        ],
      }),
    ];
    const d = ok(chooseRoute(pool, providers, request()));
    expect(d.identity_id).toBe("idn_x");
    expect(d.reasons).toContain("identity x@mail.a.com (first on the domain)");
  });

  it("round robin cycles through the domains by sequence, in id order whatever the input order", () => {
    const pool = [domain("c"), domain("a"), domain("b")];
    const picks = Array.from(
      { length: 7 },
      (_, sequence) => ok(chooseRoute(pool, providers, request({ strategy: "round_robin", sequence }))).domain_id,
    );
    expect(picks).toEqual(["dom_a", "dom_b", "dom_c", "dom_a", "dom_b", "dom_c", "dom_a"]);
    const d = ok(chooseRoute(pool.slice(0, 2), providers, request({ strategy: "round_robin", sequence: 7 })));
    expect(d.reasons).toContain("round robin #7 of 2 domains → mail.c.com");
  });

  it("weighted: picks in proportion to weight over many seeded draws, never a zero weight", () => {
    const pool = [domain("a", { weight: 1 }), domain("b", { weight: 3 }), domain("c", { weight: 6 }), domain("d", { weight: 0 })];
    const random = seededRandom(42);
    const draws = 20_000;
    const counts: Record<string, number> = {};
    for (let sequence = 0; sequence < draws; sequence++) {
      const id = ok(chooseRoute(pool, providers, request({ strategy: "weighted", sequence, random }))).domain_id;
      counts[id] = (counts[id] ?? 0) + 1;
    }
    expect(counts.dom_d).toBeUndefined();
    expect(counts.dom_a / draws).toBeCloseTo(0.1, 1);
    expect(counts.dom_b / draws).toBeCloseTo(0.3, 1);
    expect(counts.dom_c / draws).toBeCloseTo(0.6, 1);
    for (const [id, share] of [
      ["dom_a", 0.1],
      ["dom_b", 0.3],
      ["dom_c", 0.6],
    ] as const) {
      expect(Math.abs(counts[id] / draws - share)).toBeLessThan(0.015);
    }
  });

  it("weighted: the draw's edges land on the first and last weighted domain, and all-zero weights share equally", () => {
    const pool = [domain("a", { weight: 2 }), domain("b", { weight: 0 }), domain("c", { weight: 2 })];
    expect(ok(chooseRoute(pool, providers, request({ strategy: "weighted", random: () => 0 }))).domain_id).toBe("dom_a");
    expect(ok(chooseRoute(pool, providers, request({ strategy: "weighted", random: () => 0.5 }))).domain_id).toBe("dom_c");
    expect(ok(chooseRoute(pool, providers, request({ strategy: "weighted", random: () => 0.9999999 }))).domain_id).toBe("dom_c");
    const zeros = [domain("a", { weight: 0 }), domain("b", { weight: 0 })];
    expect(ok(chooseRoute(zeros, providers, request({ strategy: "weighted", random: () => 0.75 }))).domain_id).toBe("dom_b");
  });
});

describe("health", () => {
  it("holds back a domain below 80 while a healthier one is sendable", () => {
    const pool = [domain("a", { priority: 1, health_score: 72 }), domain("b", { priority: 5, health_score: 88 })];
    const d = ok(chooseRoute(pool, providers, request()));
    expect(d.domain_id).toBe("dom_b");
    expect(d.reasons).toContain("mail.a.com: health 72 (good), below 80: held back");
    expect(d.fallbacks.map((f) => f.domain_id)).toEqual(["dom_b", "dom_a", "dom_a"]);
  });

  it("uses a domain below 80 when it is all there is", () => {
    const pool = [domain("a", { health_score: 45 }), domain("b", { warming_status: "paused" })];
    const d = ok(chooseRoute(pool, providers, request()));
    expect(d.domain_id).toBe("dom_a");
    expect(d.reasons).toContain("no sendable domain has health ≥ 80 or no score yet; using lower-health domains");
  });

  it("treats a domain with no score yet as healthy enough (it must send to earn one)", () => {
    const pool = [
      domain("a", { health_score: null, status: "warming", warming_status: "warming", remaining_today: 50 }),
      domain("b", { health_score: 60 }),
    ];
    const d = ok(chooseRoute(pool, providers, request({ strategy: "round_robin", sequence: 1 })));
    expect(d.domain_id).toBe("dom_a");
    expect(d.reasons).toContain("mail.a.com: no health score yet");
  });
});

describe("ISP affinity", () => {
  const pool = [
    domain("a", { health_score: 99, isp_scores: { yahoo: 97 } }),
    domain("b", { health_score: 85, isp_scores: { gmail: 95 } }),
    domain("c", { health_score: 90, isp_scores: { gmail: 60, microsoft: 91 } }),
  ];

  it.each([
    ["jo@gmail.com", "gmail", "dom_b"],
    ["jo@yahoo.co.uk", "yahoo", "dom_a"],
    ["jo@hotmail.com", "microsoft", "dom_c"],
    ["jo@icloud.com", "apple", "dom_a"],
  ])("%s goes to the domain that does best at %s", (recipient_email, isp, domainId) => {
    const d = ok(chooseRoute(pool, providers, request({ recipient_email })));
    expect(d).toMatchObject({ isp, domain_id: domainId });
  });

  it("says which score won and how far it narrowed the choice", () => {
    const d = ok(chooseRoute(pool, providers, request({ recipient_email: "jo@gmail.com" })));
    expect(d.reasons).toContain("gmail affinity 95 on mail.b.com");
    expect(d.reasons).toContain("gmail affinity narrows 3 domains to 1 (excellent)");
    // Failover keeps the affinity order: no data (a) before a known poor gmail score (c).
    expect([...new Set(d.fallbacks.map((f) => f.domain_id))]).toEqual(["dom_b", "dom_a", "dom_c"]);
  });

  it("narrows the tier, then the strategy picks within the band", () => {
    const rr = [...pool, domain("d", { isp_scores: { gmail: 92 } })];
    const picks = [0, 1, 2, 3].map(
      (sequence) =>
        ok(chooseRoute(rr, providers, request({ recipient_email: "x@gmail.com", strategy: "round_robin", sequence }))).domain_id,
    );
    expect(picks).toEqual(["dom_b", "dom_d", "dom_b", "dom_d"]);
  });

  it("lets a warming domain with no score at the ISP compete with the best band, so its cap gets filled", () => {
    const warming = domain("w", { status: "warming", warming_status: "warming", health_score: null, remaining_today: 300 });
    const established = domain("b", { isp_scores: { gmail: 95 } });
    const picks = [0, 1].map((sequence) =>
      ok(chooseRoute([established, warming], providers, request({ recipient_email: "x@gmail.com", strategy: "round_robin", sequence }))),
    );
    expect(picks.map((d) => d.domain_id)).toEqual(["dom_b", "dom_w"]);
    expect(picks[1].reasons).toContain("no gmail score on mail.w.com yet (warming: not held back by affinity)");
    // A score it does have counts: known poor at gmail, it loses to the excellent domain.
    const poorAtGmail = { ...warming, isp_scores: { gmail: 40 } };
    expect(
      ok(
        chooseRoute(
          [established, poorAtGmail],
          providers,
          request({ recipient_email: "x@gmail.com", strategy: "round_robin", sequence: 1 }),
        ),
      ).domain_id,
    ).toBe("dom_b");
    // An established domain without data still loses to a scored one.
    expect(
      ok(
        chooseRoute(
          [established, domain("c")],
          providers,
          request({ recipient_email: "x@gmail.com", strategy: "round_robin", sequence: 1 }),
        ),
      ).domain_id,
    ).toBe("dom_b");
  });

  it("does not let affinity pull mail to a domain below the health floor", () => {
    const d = ok(
      chooseRoute(
        [domain("a"), domain("b", { health_score: 70, isp_scores: { gmail: 99 } })],
        providers,
        request({ recipient_email: "x@gmail.com" }),
      ),
    );
    expect(d.domain_id).toBe("dom_a");
  });
});

describe("sendable domains", () => {
  it.each([
    ["warming paused", { warming_status: "paused" }],
    ["status paused", { status: "paused" }],
    ["status pending", { status: "pending" }],
    ["status failed", { status: "failed" }],
    ["at daily cap", { remaining_today: 0 }],
    ["no sending identity", { identities: [] }],
    ["dedicated IP ip_1 paused", { dedicated_ip: { ip_id: "ip_1", remaining_today: null, paused: true } }],
    ["dedicated IP ip_1 at daily cap", { dedicated_ip: { ip_id: "ip_1", remaining_today: 0, paused: false } }],
  ] as [string, Partial<DomainCandidate>][])("skips a domain with %s", (why, overrides) => {
    const d = ok(chooseRoute([domain("a", { priority: 1, ...overrides }), domain("b")], providers, request()));
    expect(d.domain_id).toBe("dom_b");
    expect(d.reasons).toContain(`skipped mail.a.com: ${why}`);
    expect(d.fallbacks.every((f) => f.domain_id === "dom_b")).toBe(true);
  });

  it("sends through verified, active and warming domains, and reports the dedicated IP", () => {
    for (const status of ["verified", "active", "warming"] as const) {
      expect(ok(chooseRoute([domain("a", { status })], providers, request())).domain_id).toBe("dom_a");
    }
    const withIp = domain("a", { dedicated_ip: { ip_id: "ip_1", remaining_today: 10, paused: false } });
    expect(ok(chooseRoute([withIp], providers, request())).ip_id).toBe("ip_1");
  });

  it("answers ok:false with every reason when nothing is sendable", () => {
    const d = chooseRoute([domain("a", { warming_status: "paused" }), domain("b", { remaining_today: 0 })], providers, request());
    expect(d).toEqual({
      ok: false,
      reasons: ["skipped mail.a.com: warming paused", "skipped mail.b.com: at daily cap", "no sendable domain"],
    });
    expect(chooseRoute([], [], request())).toEqual({ ok: false, reasons: ["no sendable domain", "no provider in the pool"] });
  });

  it("names no provider as preferred when no domain can send (a pool whose only domain is pending)", () => {
    const d = chooseRoute([domain("a", { status: "pending" })], [provider("capture-1")], request({ preferred_providers: ["capture"] }));
    expect(d).toEqual({ ok: false, reasons: ["skipped mail.a.com: status pending", "no sendable domain"] });
  });

  it("names no domain as picked when no provider can send", () => {
    const d = chooseRoute([domain("a")], [provider("ses-1", { healthy: false })], request());
    expect(d).toEqual({ ok: false, reasons: ["provider ses-1 unhealthy, next: none", "no provider available"] });
  });
});

describe("pinned sending identity", () => {
  const pool = [domain("a", { priority: 1 }), domain("b", { priority: 9, health_score: 60 })];

  it("routes through the identity's own domain with that identity, whatever ranks first", () => {
    const d = ok(chooseRoute(pool, providers, request({ sending_identity_id: "idn_b1" })));
    expect(d).toMatchObject({ domain_id: "dom_b", identity_id: "idn_b1" });
    expect(d.reasons).toContain("identity news@mail.b.com (pinned)");
    expect(d.fallbacks).toEqual([{ domain_id: "dom_b", identity_id: "idn_b1", provider_id: "postmark-1" }]);
  });

  it("refuses rather than use another identity when the pinned one cannot send", () => {
    const paused = [pool[0], domain("b", { warming_status: "paused" })];
    const d = chooseRoute(paused, providers, request({ sending_identity_id: "idn_b1" }));
    expect(d.ok).toBe(false);
    expect(d.reasons).toContain("pinned identity news@mail.b.com is on mail.b.com, which is unsendable: warming paused");
    const unknown = chooseRoute(pool, providers, request({ sending_identity_id: "idn_zz" }));
    expect(unknown).toMatchObject({
      ok: false,
      reasons: expect.arrayContaining(["pinned identity idn_zz is not on any domain of the pool"]),
    });
  });
});

describe("providers and failover", () => {
  const pool = [domain("a", { priority: 1 }), domain("b", { priority: 2 })];

  it("orders preferred providers first (by id or type), then priority, the default first on ties", () => {
    const list = [
      provider("ses-1", { priority: 1 }),
      provider("postmark-1", { priority: 5 }),
      provider("mailgun-1", { priority: 5, is_default: true }),
    ];
    expect(ok(chooseRoute(pool, list, request())).provider_id).toBe("ses-1");
    expect(ok(chooseRoute(pool, list, request({ preferred_providers: ["postmark"] }))).provider_id).toBe("postmark-1");
    expect(ok(chooseRoute(pool, list, request({ preferred_providers: ["mailgun-1", "postmark"] }))).provider_id).toBe("mailgun-1");
    const d = ok(chooseRoute(pool, list.slice(1), request()));
    expect(d.provider_id).toBe("mailgun-1");
    expect(d.reasons).toContain("provider mailgun-1: priority 5");
  });

  it("skips a provider at its daily cap and says which one is next", () => {
    const d = ok(
      chooseRoute(pool, [provider("ses-1", { priority: 1, remaining_today: 0 }), provider("postmark-1", { priority: 2 })], request()),
    );
    expect(d.provider_id).toBe("postmark-1");
    expect(d.reasons).toContain("provider ses-1 at daily cap, next: postmark-1");
  });

  it("reports a provider at its per-second limit as available later", () => {
    const limited = provider("ses-1", { priority: 1, remaining_this_second: 0, remaining_today: 500 });
    const d = ok(chooseRoute(pool, [limited, provider("postmark-1", { priority: 2 })], request()));
    expect(d.provider_id).toBe("postmark-1");
    expect(d.reasons).toContain("provider ses-1 at its per-second limit (available later), next: postmark-1");
    const alone = chooseRoute(pool, [limited], request());
    expect(alone).toMatchObject({
      ok: false,
      reasons: expect.arrayContaining(["provider ses-1 at its per-second limit (available later), next: none", "no provider available"]),
    });
  });

  it("skips an unhealthy provider", () => {
    const d = ok(chooseRoute(pool, [provider("ses-1", { priority: 1, healthy: false }), provider("postmark-1")], request()));
    expect(d.provider_id).toBe("postmark-1");
    expect(d.reasons).toContain("provider ses-1 unhealthy, next: postmark-1");
  });

  it("lists fallbacks: other providers on the chosen domain first, then the next domains", () => {
    const d = ok(chooseRoute(pool, providers, request()));
    expect(d).toMatchObject({ domain_id: "dom_a", identity_id: "idn_a2", provider_id: "ses-1" });
    expect(d.fallbacks).toEqual([
      { domain_id: "dom_a", identity_id: "idn_a2", provider_id: "postmark-1" },
      { domain_id: "dom_b", identity_id: "idn_b2", provider_id: "ses-1" },
      { domain_id: "dom_b", identity_id: "idn_b2", provider_id: "postmark-1" },
    ]);
  });

  it("fails over to the next provider once the first is excluded, and to the next domain once that is", () => {
    const again = ok(chooseRoute(pool, providers, request({ exclude_provider_ids: ["ses-1"] })));
    expect(again).toMatchObject({ domain_id: "dom_a", provider_id: "postmark-1" });
    expect(again.reasons).toContain("provider ses-1 already failed for this recipient, next: postmark-1");
    const domainFailed = ok(chooseRoute(pool, providers, request({ exclude_domain_ids: ["dom_a"] })));
    expect(domainFailed).toMatchObject({ domain_id: "dom_b", provider_id: "ses-1" });
    expect(domainFailed.reasons).toContain("skipped mail.a.com: already failed for this recipient");
  });

  it("caps the fallback list", () => {
    const many = "abcdefgh".split("").map((l) => domain(l));
    expect(ok(chooseRoute(many, providers, request())).fallbacks).toHaveLength(MAX_FALLBACKS);
  });

  it("with fallback disabled: no fallbacks, and no provider outside the preferred list", () => {
    const list = [provider("ses-1", { priority: 1 }), provider("postmark-1", { priority: 2 })];
    const plain = ok(chooseRoute(pool, list, request({ fallback_enabled: false })));
    expect(plain).toMatchObject({ provider_id: "ses-1", fallbacks: [] });

    const preferred = ok(chooseRoute(pool, list, request({ fallback_enabled: false, preferred_providers: ["postmark"] })));
    expect(preferred).toMatchObject({ provider_id: "postmark-1", fallbacks: [] });

    const failed = chooseRoute(
      pool,
      list,
      request({ fallback_enabled: false, preferred_providers: ["postmark"], exclude_provider_ids: ["postmark-1"] }),
    );
    expect(failed.ok).toBe(false);
    expect(failed.reasons).toEqual(
      expect.arrayContaining([
        "fallback disabled: only preferred providers (postmark)",
        "provider postmark-1 already failed for this recipient, next: none",
        "no provider available",
      ]),
    );
    const unhealthy = [provider("ses-1"), provider("postmark-1", { healthy: false })];
    expect(chooseRoute(pool, unhealthy, request({ fallback_enabled: false, preferred_providers: ["postmark-1"] })).ok).toBe(false);
    expect(ok(chooseRoute(pool, unhealthy, request({ fallback_enabled: true, preferred_providers: ["postmark-1"] }))).provider_id).toBe(
      "ses-1",
    );
  });
});

describe("invariants over random pools", () => {
  const domainArb = fc.record({
    letter: fc.constantFrom(..."abcdefgh".split("")),
    status: fc.constantFrom("pending", "verifying", "verified", "failed", "paused", "warming", "active"),
    warming_status: fc.constantFrom("not_started", "warming", "paused", "completed"),
    health_score: fc.option(fc.integer({ min: 0, max: 100 }), { nil: null }),
    remaining_today: fc.option(fc.integer({ min: 0, max: 3 }), { nil: null }),
    weight: fc.integer({ min: 0, max: 5 }),
    priority: fc.integer({ min: 1, max: 3 }),
    gmail: fc.option(fc.integer({ min: 0, max: 100 }), { nil: undefined }),
    identities: fc.integer({ min: 0, max: 2 }),
  });
  const providerArb = fc.record({
    id: fc.constantFrom("ses-1", "ses-2", "postmark-1", "mailgun-1", "capture-1"),
    healthy: fc.boolean(),
    remaining_today: fc.option(fc.integer({ min: 0, max: 2 }), { nil: null }),
    remaining_this_second: fc.option(fc.integer({ min: 0, max: 2 }), { nil: null }),
    priority: fc.integer({ min: 1, max: 3 }),
  });

  it("explains a route by the domain, provider and identity it chose, and a failed route by no choice at all", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(domainArb, { selector: (d) => d.letter, maxLength: 4 }),
        fc.uniqueArray(providerArb, { selector: (p) => p.id, maxLength: 4 }),
        fc.constantFrom("round_robin", "weighted", "priority"),
        fc.subarray(["ses", "capture", "postmark-1", "mailgun-1"]),
        fc.boolean(),
        fc.option(fc.constantFrom("idn_a1", "idn_b2", "idn_zz"), { nil: null }),
        (ds, ps, strategy, preferred, fallback_enabled, pinned) => {
          const pool = ds.map((d) =>
            domain(d.letter, {
              ...d,
              isp_scores: d.gmail === undefined ? {} : { gmail: d.gmail },
              identities: domain(d.letter).identities.slice(0, d.identities),
            }),
          );
          const list = ps.map((p) => provider(p.id, p));
          const decision = chooseRoute(
            pool,
            list,
            request({
              recipient_email: "x@gmail.com",
              strategy,
              preferred_providers: preferred,
              fallback_enabled,
              sending_identity_id: pinned,
              random: seededRandom(1),
            }),
          );
          const providerPicks = decision.reasons.filter((r) => /^provider \S+: (preferred|priority)/.test(r));
          const domainPicks = decision.reasons.filter((r) => r.includes(" → "));
          const identityPicks = decision.reasons.filter((r) => r.startsWith("identity "));
          if (!decision.ok) {
            expect([...providerPicks, ...domainPicks, ...identityPicks]).toEqual([]);
            return;
          }
          expect(providerPicks).toHaveLength(1);
          expect(providerPicks[0]).toMatch(new RegExp(`^provider ${decision.provider_id}: `));
          const chosen = pool.find((d) => d.domain_id === decision.domain_id) as DomainCandidate;
          expect(domainPicks).toHaveLength(1);
          expect(domainPicks[0]).toMatch(new RegExp(`→ ${chosen.domain.replaceAll(".", "\\.")}( |$)`));
          const identity = chosen.identities.find((i) => i.identity_id === decision.identity_id);
          expect(identityPicks).toEqual([expect.stringMatching(new RegExp(`^identity ${identity?.email} `))]);
        },
      ),
    );
  });

  it("only ever routes to a sendable domain and an available provider, never to an excluded one", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(domainArb, { selector: (d) => d.letter, maxLength: 6 }),
        fc.uniqueArray(providerArb, { selector: (p) => p.id, maxLength: 4 }),
        fc.constantFrom("round_robin", "weighted", "priority"),
        fc.nat(100),
        fc.boolean(),
        fc.subarray(["dom_a", "dom_b"]),
        fc.subarray(["ses-1", "postmark-1"]),
        (ds, ps, strategy, sequence, fallback_enabled, excludeDomains, excludeProviders) => {
          const pool = ds.map((d) =>
            domain(d.letter, {
              ...d,
              isp_scores: d.gmail === undefined ? {} : { gmail: d.gmail },
              identities: domain(d.letter).identities.slice(0, d.identities),
            }),
          );
          const list = ps.map((p) => provider(p.id, p));
          const decision = chooseRoute(
            pool,
            list,
            request({
              recipient_email: "x@gmail.com",
              strategy,
              sequence,
              fallback_enabled,
              exclude_domain_ids: excludeDomains,
              exclude_provider_ids: excludeProviders,
              random: seededRandom(sequence),
            }),
          );
          expect(decision.reasons.length).toBeGreaterThan(0);
          if (!decision.ok) return;
          const routes = [decision, ...decision.fallbacks];
          for (const r of routes) {
            const d = pool.find((x) => x.domain_id === r.domain_id) as DomainCandidate;
            const p = list.find((x) => x.provider_id === r.provider_id) as ProviderCandidate;
            expect(["verified", "active", "warming"]).toContain(d.status);
            expect(d.warming_status).not.toBe("paused");
            expect(d.remaining_today === null || d.remaining_today > 0).toBe(true);
            expect(d.identities.map((i) => i.identity_id)).toContain(r.identity_id);
            expect(excludeDomains).not.toContain(r.domain_id);
            expect(p.healthy).toBe(true);
            expect(p.remaining_today === null || p.remaining_today > 0).toBe(true);
            expect(p.remaining_this_second === null || p.remaining_this_second > 0).toBe(true);
            expect(excludeProviders).not.toContain(r.provider_id);
          }
          const keys = routes.map((r) => `${r.domain_id}/${r.provider_id}`);
          expect(new Set(keys).size).toBe(keys.length);
          if (!fallback_enabled) expect(decision.fallbacks).toEqual([]);
          const chosen = pool.find((x) => x.domain_id === decision.domain_id) as DomainCandidate;
          const sendable = routes.map((r) => pool.find((x) => x.domain_id === r.domain_id) as DomainCandidate);
          if (chosen.health_score !== null && chosen.health_score < 80) {
            expect(sendable.every((d) => d.health_score !== null && d.health_score < 80)).toBe(true);
          }
        },
      ),
    );
  });
});

describe("routing modules", () => {
  it("import each other without a cycle", () => {
    const sources = import.meta.glob<string>("../../src/domain/routing/*.ts", { query: "?raw", import: "default", eager: true });
    const name = (path: string) => path.replace(/^.*\//, "").replace(/\.ts$/, "");
    const imports = new Map(
      Object.entries(sources).map(([path, source]) => [name(path), [...source.matchAll(/from "\.\/([\w-]+)"/g)].map((m) => m[1])]),
    );
    expect(imports.size).toBeGreaterThan(2);
    const cycles: string[] = [];
    const visit = (module: string, trail: string[]) => {
      if (trail.includes(module)) return void cycles.push([...trail, module].join(" → "));
      for (const next of imports.get(module) ?? []) visit(next, [...trail, module]);
    };
    for (const module of imports.keys()) visit(module, []);
    expect(cycles).toEqual([]);
  });
});
