import { z } from "@hono/zod-openapi";
import { invalidField } from "./errors";

export const PaginationQuerySchema = z.object({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(100)
    .default(25)
    .openapi({ param: { name: "limit", in: "query" }, description: "Page size, 1 to 100", example: 25 }),
  cursor: z
    .string()
    .max(200)
    .optional()
    .openapi({ param: { name: "cursor", in: "query" }, description: "`next_cursor` of the previous page" }),
});

export type PaginationQuery = z.infer<typeof PaginationQuerySchema>;

export const pageSchema = <T extends z.ZodTypeAny>(item: T) =>
  z.object({
    data: z.array(item),
    next_cursor: z.string().nullable().openapi({ description: "Pass as `cursor` for the next page; null on the last page" }),
  });

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

/** Cursors are opaque to clients: the base64url of the last row's sort key (ids sort by creation). */
export const encodeCursor = (key: string) => btoa(key).replaceAll("+", "-").replaceAll("/", "_").replaceAll("=", "");

export function decodeCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined;
  try {
    const key = atob(cursor.replaceAll("-", "+").replaceAll("_", "/"));
    if (/^[\x21-\x7e]+$/.test(key)) return key;
  } catch {
    // fall through to the validation error below
  }
  throw invalidField("query", "cursor", "cursor is not one this API issued");
}

/**
 * Turns `limit + 1` rows fetched after the cursor into a page: the extra row only tells that another page
 * exists, so no COUNT query is needed.
 */
export function toPage<T>(rows: T[], limit: number, keyOf: (row: T) => string): Page<T> {
  const data = rows.slice(0, limit);
  const last = data.at(-1);
  return { data, next_cursor: rows.length > limit && last ? encodeCursor(keyOf(last)) : null };
}
