import { z } from "zod";

const EMAIL = z.email();

/**
 * Trims, lowercases the domain (the local part is case-sensitive by RFC 5321, so it is kept as given) and
 * validates. Returns null for anything that is not a deliverable-looking address.
 */
export function normalizeEmail(raw: unknown): string | null {
  if (typeof raw !== "string") return null;
  const trimmed = raw.trim();
  const at = trimmed.lastIndexOf("@");
  if (at < 1 || trimmed.length > 254) return null;
  const email = `${trimmed.slice(0, at)}@${trimmed.slice(at + 1).toLowerCase()}`;
  return EMAIL.safeParse(email).success ? email : null;
}

export const domainOf = (email: string) => email.slice(email.lastIndexOf("@") + 1);
