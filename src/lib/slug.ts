/** A URL-safe slug from any name: "Café Müller & Söhne!" → "cafe-muller-sohne". */
export function slugify(name: string, fallback: string): string {
  const slug = name
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 48)
    .replace(/-+$/g, "");
  return slug || fallback;
}

export const SLUG_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,46}[a-z0-9])?$/;
export const SLUG_MESSAGE = "must be 1-48 lowercase letters, digits or inner hyphens";

/** The first free slug of `base`, `base-2`, `base-3`, … */
export async function firstFreeSlug(base: string, taken: (slug: string) => Promise<boolean>): Promise<string> {
  for (let n = 1; ; n++) {
    const candidate = n === 1 ? base : `${base.slice(0, 44)}-${n}`;
    if (!(await taken(candidate))) return candidate;
  }
}
