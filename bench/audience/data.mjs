// Deterministic subscriber data for the audience-count benchmark, and the filter semantics of
// src/domain/audience/segments.ts re-implemented in plain JavaScript, so the expected counts are computed
// independently of SQL.

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

// SQLite compares values of different storage classes by class: NULL < numbers < text < blob. json_extract
// gives NULL for a missing key, INTEGER/REAL for JSON numbers, TEXT for strings and 0/1 for booleans.
function sqlValue(v) {
  if (v === undefined || v === null) return null;
  if (typeof v === "boolean") return v ? 1 : 0;
  return v;
}

function classOf(v) {
  return typeof v === "number" ? 1 : 2;
}

/** SQLite's comparison without collation (BINARY), or null when one side is NULL. */
function compare(a, b) {
  if (a === null || b === null) return null;
  const ca = classOf(a);
  const cb = classOf(b);
  if (ca !== cb) return ca - cb;
  if (a < b) return -1;
  return a > b ? 1 : 0;
}

function fieldValue(sub, field) {
  if (field === "email") return sub.email.trim().toLowerCase();
  if (field === "email_domain") return sub.domain.toLowerCase();
  if (field === "name") return sub.name;
  if (field === "status") return "active"; // the bulk endpoint creates active subscribers only
  if (field.startsWith("attributes.")) return sqlValue(sub.attributes[field.slice(11)]);
  throw new Error(`field ${field} is not modelled by the benchmark`);
}

/** true / false / null (SQL NULL), as SQLite would evaluate the compiled condition. */
function evalField(sub, c) {
  const caseless = c.field === "email" || c.field === "email_domain";
  const lhs = fieldValue(sub, c.field);
  const v = typeof c.value === "string" && caseless ? c.value.toLowerCase() : sqlValue(c.value);
  const cmp = (x) => compare(lhs, x);
  switch (c.op) {
    case "eq": {
      const r = cmp(v);
      return r === null ? null : r === 0;
    }
    case "neq": {
      // (lhs IS NULL OR lhs <> v)
      if (lhs === null) return true;
      const r = cmp(v);
      return r === null ? null : r !== 0;
    }
    case "gt":
    case "gte":
    case "lt":
    case "lte": {
      const r = cmp(v);
      if (r === null) return null;
      return { gt: r > 0, gte: r >= 0, lt: r < 0, lte: r <= 0 }[c.op];
    }
    case "exists":
      return c.value === false ? lhs === null : lhs !== null;
    case "in": {
      if (lhs === null) return null;
      const values = c.value.map((x) => (typeof x === "string" && caseless ? x.toLowerCase() : sqlValue(x)));
      return values.some((x) => compare(lhs, x) === 0);
    }
    default:
      throw new Error(`op ${c.op} is not modelled by the benchmark`);
  }
}

/** Three-valued logic as in SQL: a row is selected only when the whole condition is true. */
export function evalFilter(sub, filter, memberOf) {
  if ("and" in filter) {
    let result = true;
    for (const f of filter.and) {
      const r = evalFilter(sub, f, memberOf);
      if (r === false) return false;
      if (r === null) result = null;
    }
    return result;
  }
  if ("or" in filter) {
    let result = false;
    for (const f of filter.or) {
      const r = evalFilter(sub, f, memberOf);
      if (r === true) return true;
      if (r === null) result = null;
    }
    return result;
  }
  if ("not" in filter) {
    const r = evalFilter(sub, filter.not, memberOf);
    return r === null ? null : !r;
  }
  if ("list" in filter) {
    const member = memberOf(sub, filter.list.list_id);
    return filter.list.op === "member" ? member : !member;
  }
  if ("engagement" in filter) throw new Error("engagement conditions are not modelled by the benchmark");
  return evalField(sub, filter);
}
