import { z } from "zod";

const EMAIL = z.email();

/**
 * Trims, lowercases and validates. RFC 5321 lets the local part be case-sensitive, but no mailbox provider
 * a newsletter reaches treats it so, and keeping Ada@ and ada@ apart would mail one person twice and let an
 * unsubscribe miss. Returns null for anything that is not a deliverable-looking address.
 */
export function normalizeEmail(raw: unknown): string | null {
  if (typeof raw !== "string") return null;
  const email = raw.trim().toLowerCase();
  if (email.length > 254 || email.lastIndexOf("@") < 1) return null;
  return EMAIL.safeParse(email).success ? email : null;
}

export const domainOf = (email: string) => email.slice(email.lastIndexOf("@") + 1);
