// Deterministic subscriber data for the audience-count benchmark. The expected counts are computed from it by the
// product's in-memory evaluator of the filter language (`matchesFilter`, see run.mjs), not by SQL.

import { seededRandom as rng } from "../../test/fixtures/seeded-random.mjs";

export { rng };

function weighted(rand, table) {
  const total = table.reduce((s, [, w]) => s + w, 0);
  let x = rand() * total;
  for (const [value, w] of table) {
    x -= w;
    if (x < 0) return value;
  }
  return table[table.length - 1][0];
}

const FIRST = [
  "ada",
  "grace",
  "alan",
  "linus",
  "margaret",
  "ken",
  "barbara",
  "dennis",
  "frances",
  "edsger",
  "radia",
  "john",
  "sophie",
  "tim",
  "hedy",
  "donald",
  "katherine",
  "guido",
  "anita",
  "brendan",
  "lena",
  "omar",
  "yuki",
  "priya",
  "mateo",
  "chloe",
  "noah",
  "amara",
  "lars",
  "ines",
];
const LAST = [
  "lovelace",
  "hopper",
  "turing",
  "torvalds",
  "hamilton",
  "thompson",
  "liskov",
  "ritchie",
  "allen",
  "dijkstra",
  "perlman",
  "mccarthy",
  "wilson",
  "berners-lee",
  "lamarr",
  "knuth",
  "johnson",
  "van-rossum",
  "borg",
  "eich",
  "schmidt",
  "haddad",
  "tanaka",
  "sharma",
  "garcia",
  "martin",
  "muller",
  "okafor",
  "nilsson",
  "costa",
];
const WORDS = [
  "acme",
  "globex",
  "initech",
  "umbrella",
  "hooli",
  "stark",
  "wayne",
  "wonka",
  "tyrell",
  "cyberdyne",
  "soylent",
  "vandelay",
  "aperture",
  "blackmesa",
  "oscorp",
  "pied",
  "piper",
  "massive",
  "dynamic",
  "nimbus",
  "vertex",
  "quantum",
  "orbit",
  "lumen",
  "north",
  "harbor",
  "summit",
  "cedar",
  "atlas",
  "nova",
  "polar",
  "ember",
  "delta",
  "echo",
  "zen",
  "apex",
  "bright",
  "swift",
  "iron",
  "blue",
];
const SUFFIX = ["", "labs", "hq", "cloud", "systems", "works", "data", "ai", "group", "tech"];
const TLDS = [
  ["com", 55],
  ["io", 15],
  ["co", 6],
  ["de", 6],
  ["fr", 4],
  ["co.uk", 5],
  ["nl", 3],
  ["es", 3],
  ["app", 3],
];

/** Consumer mailbox providers and their share of all subscribers (the rest are company addresses). */
export const FREEMAIL = [
  ["gmail.com", 22],
  ["yahoo.com", 4],
  ["outlook.com", 4],
  ["hotmail.com", 3],
  ["icloud.com", 2],
  ["proton.me", 1],
  ["gmx.de", 1],
  ["web.de", 1],
];
const FREEMAIL_SHARE = FREEMAIL.reduce((s, [, w]) => s + w, 0) / 100; // 38 %

const COUNTRIES = [
  ["US", 30],
  ["GB", 9],
  ["DE", 9],
  ["FR", 7],
  ["CA", 5],
  ["IN", 6],
  ["BR", 5],
  ["NL", 3],
  ["ES", 4],
  ["AU", 3],
  ["JP", 3],
  ["SE", 2],
  ["IT", 3],
  ["MX", 2],
  ["PL", 2],
  ["NG", 1],
  ["ZA", 1],
  ["SG", 1],
  ["CH", 2],
  ["IE", 2],
];
const SOURCES = [
  ["organic", 35],
  ["ads", 20],
  ["referral", 12],
  ["webinar", 8],
  ["import", 10],
  ["partner", 5],
  ["product_hunt", 3],
  ["api", 7],
];
const LANGS = {
  US: "en",
  GB: "en",
  CA: "en",
  AU: "en",
  IE: "en",
  IN: "en",
  NG: "en",
  ZA: "en",
  SG: "en",
  DE: "de",
  CH: "de",
  FR: "fr",
  NL: "nl",
  ES: "es",
  MX: "es",
  BR: "pt",
  JP: "ja",
  SE: "sv",
  IT: "it",
  PL: "pl",
};

/** A pool of company domains; company sizes follow a Zipf-like law (a few big customers, a long tail). */
export function companies(count, seed = 7) {
  const rand = rng(seed);
  const out = [];
  const seen = new Set();
  while (out.length < count) {
    const name = `${WORDS[Math.floor(rand() * WORDS.length)]}${WORDS[Math.floor(rand() * WORDS.length)]}${SUFFIX[Math.floor(rand() * SUFFIX.length)]}`;
    const domain = `${name}.${weighted(rand, TLDS)}`;
    if (seen.has(domain)) continue;
    seen.add(domain);
    out.push({ name, domain, weight: 1 / (out.length + 10) ** 0.9 });
  }
  return out;
}

/**
 * n subscribers: { email (as sent, 5 % with upper-case letters), domain (lower-case), name, attributes }.
 * Plans: free / pro / enterprise; seats a number (missing for about a third of free accounts);
 * country, language, signup_source, company (business addresses), mrr, beta, newsletter_frequency,
 * last_active_days.
 */
export function generateSubscribers(n, pool, seed = 42) {
  const rand = rng(seed);
  const companyTable = pool.map((c) => [c, c.weight]);
  const subs = new Array(n);
  for (let i = 0; i < n; i++) {
    const consumer = rand() < FREEMAIL_SHARE;
    const company = consumer ? null : weighted(rand, companyTable);
    const domain = consumer ? weighted(rand, FREEMAIL) : company.domain;
    const first = FIRST[Math.floor(rand() * FIRST.length)];
    const last = LAST[Math.floor(rand() * LAST.length)];
    // The index in base 36 keeps every address unique.
    let local = `${first}.${last}.${i.toString(36)}`;
    if (rand() < 0.05) local = local.charAt(0).toUpperCase() + local.slice(1);
    const shownDomain = rand() < 0.03 ? domain.toUpperCase() : domain;
    const plan = consumer
      ? weighted(rand, [
          ["free", 80],
          ["pro", 18],
          ["enterprise", 2],
        ])
      : weighted(rand, [
          ["free", 45],
          ["pro", 38],
          ["enterprise", 17],
        ]);
    let seats;
    if (plan === "free") seats = rand() < 0.35 ? undefined : 1;
    else if (plan === "pro")
      seats = 1 + Math.floor(-Math.log(1 - rand()) * 6); // exponential, mean ≈ 6.5
    else seats = 10 + Math.floor(-Math.log(1 - rand()) * 150);
    const country = weighted(rand, COUNTRIES);
    const attributes = {
      plan,
      ...(seats === undefined ? {} : { seats }),
      country,
      language: LANGS[country] ?? "en",
      signup_source: weighted(rand, SOURCES),
      ...(company ? { company: company.name } : {}),
      mrr: plan === "free" ? 0 : Math.round((plan === "pro" ? 29 : 99) * (seats ?? 1) * 100) / 100,
      beta: rand() < 0.12,
      newsletter_frequency: weighted(rand, [
        ["weekly", 60],
        ["monthly", 30],
        ["daily", 10],
      ]),
      last_active_days: Math.floor(-Math.log(1 - rand()) * 40),
    };
    subs[i] = {
      email: `${local}@${shownDomain}`,
      domain,
      name: rand() < 0.06 ? null : `${first.charAt(0).toUpperCase()}${first.slice(1)} ${last.charAt(0).toUpperCase()}${last.slice(1)}`,
      attributes,
    };
  }
  return subs;
}
