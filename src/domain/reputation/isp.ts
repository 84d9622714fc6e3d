export const isps = ["gmail", "microsoft", "yahoo", "apple", "other"] as const;
export type Isp = (typeof isps)[number];

/** Mailbox domains that exist under one name only. */
const EXACT = new Map<string, Isp>([
  ["gmail.com", "gmail"],
  ["googlemail.com", "gmail"],
  ["msn.com", "microsoft"],
  ["passport.com", "microsoft"],
  ["windowslive.com", "microsoft"],
  ["ymail.com", "yahoo"],
  ["rocketmail.com", "yahoo"],
  ["aim.com", "yahoo"],
  // Verizon moved its customers' mailboxes to AOL Mail in 2017.
  ["verizon.net", "yahoo"],
  ["icloud.com", "apple"],
  ["me.com", "apple"],
  ["mac.com", "apple"],
]);

/** Brands that run the same mailbox service under many country domains (hotmail.co.uk, yahoo.fr, aol.de …). */
const BRANDS = new Map<string, Isp>([
  ["outlook", "microsoft"],
  ["hotmail", "microsoft"],
  ["live", "microsoft"],
  ["yahoo", "yahoo"],
  // Yahoo owns AOL; both run on the same mail platform.
  ["aol", "yahoo"],
]);

/**
 * The country suffixes a brand is recognised under. A fixed list rather than any TLD: live.io or
 * outlook.xyz belong to someone else, and a wrong "microsoft" is worse for affinity than "other".
 */
const COUNTRY_SUFFIXES = new Set([
  "com",
  "co.uk",
  "ie",
  "fr",
  "be",
  "de",
  "at",
  "ch",
  "it",
  "es",
  "pt",
  "nl",
  "lu",
  "dk",
  "se",
  "no",
  "fi",
  "pl",
  "cz",
  "sk",
  "hu",
  "ro",
  "gr",
  "ru",
  "com.tr",
  "co.il",
  "ae",
  "com.sa",
  "co.za",
  "in",
  "co.in",
  "jp",
  "co.jp",
  "co.kr",
  "com.sg",
  "com.my",
  "com.ph",
  "co.th",
  "co.id",
  "com.vn",
  "com.hk",
  "com.tw",
  "com.au",
  "co.nz",
  "ca",
  "com.mx",
  "com.br",
  "com.ar",
  "cl",
  "com.co",
  "com.pe",
]);

/** Yahoo! JAPAN (LY Corporation) is not Yahoo Inc. and runs its own mail service. */
const NOT_THE_BRAND = new Set(["yahoo.co.jp"]);

/**
 * The mailbox provider of an address or domain, by its domain alone (no MX lookup: Google Workspace or
 * Microsoft 365 mail on a company's own domain is "other"). Case-insensitive; a trailing dot is ignored.
 * Subdomains of the listed domains (mail.gmail.com) are "other": nobody receives mail there.
 */
export function classifyIsp(emailOrDomain: string): Isp {
  const at = emailOrDomain.lastIndexOf("@");
  const domain = emailOrDomain
    .slice(at + 1)
    .trim()
    .toLowerCase()
    .replace(/\.$/, "");
  const exact = EXACT.get(domain);
  if (exact) return exact;
  const dot = domain.indexOf(".");
  if (dot <= 0 || NOT_THE_BRAND.has(domain)) return "other";
  const brand = BRANDS.get(domain.slice(0, dot));
  return brand && COUNTRY_SUFFIXES.has(domain.slice(dot + 1)) ? brand : "other";
}
