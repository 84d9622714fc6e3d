import { z } from "@hono/zod-openapi";
import { asc, desc, gt, lt, type SQL } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import { invalidField } from "../domain/errors";
import { base64UrlToBytes, bytesToBase64Url } from "./encoding";

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
export const encodeCursor = (key: string) => bytesToBase64Url(new TextEncoder().encode(key));

export function decodeCursor(cursor: string | undefined, param = "cursor"): string | undefined {
  if (cursor === undefined) return undefined;
  const bytes = base64UrlToBytes(cursor);
  const key = bytes && new TextDecoder().decode(bytes);
  if (key && /^[\x21-\x7e]+$/.test(key)) return key;
  throw invalidField("query", param, "cursor is not one this API issued");
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

/**
 * A unique column a list is walked by. Rows carry its value under the column's name: schema columns take their
 * SQL name from their key, and a select of a table's columns (or `getTableColumns`) keeps it.
 */
type KeyColumn = SQLiteColumn & { _: { data: string | number } };
type RowWithKey<C extends KeyColumn> = { [name in C["_"]["name"]]: C["_"]["data"] };

/** A select whose order and limit the page sets: what drizzle returns from `.from(...).where(...)`. */
interface KeysetQuery<T> {
  orderBy(...order: SQL[]): { limit(count: number): PromiseLike<T[]> };
}

export interface KeysetPageOptions<C extends KeyColumn> {
  /** Column the list is sorted by; unique, so the last row of a page tells exactly where the next one starts. */
  key: C;
  /** "desc" for newest-first lists (ids sort by creation). */
  order?: "asc" | "desc";
  limit: number;
  cursor: string | undefined;
  /** Query parameter the cursor came in, for the 422 a tampered cursor gets. */
  cursorParam?: string;
}

/**
 * One page of a list walked by `key`. `select(after)` builds the list's query and must AND `after` into its
 * where clause: the condition that skips the rows up to the cursor, in page order (undefined on the first page).
 * This adds the order and `limit + 1`, and reads the next cursor off the last row.
 */
export async function keysetPage<T extends RowWithKey<C>, C extends KeyColumn>(
  select: (after: SQL | undefined) => KeysetQuery<T>,
  { key, order = "asc", limit, cursor, cursorParam = "cursor" }: KeysetPageOptions<C>,
): Promise<Page<T>> {
  const keyText = decodeCursor(cursor, cursorParam);
  const lastKey = keyText === undefined ? undefined : parseKey(key, keyText, cursorParam);
  const after = lastKey === undefined ? undefined : order === "asc" ? gt(key, lastKey) : lt(key, lastKey);
  const rows = await select(after)
    .orderBy(order === "asc" ? asc(key) : desc(key))
    .limit(limit + 1);
  const name = key.name as C["_"]["name"];
  return toPage(rows, limit, (row) => String(row[name]));
}

/** An integer key's cursor holds an integer; anything else would page from a made-up place, so it is refused. */
function parseKey(key: KeyColumn, keyText: string, cursorParam: string): string | number {
  if (key.dataType !== "number") return keyText;
  const value = Number(keyText);
  if (!Number.isSafeInteger(value)) throw invalidField("query", cursorParam, "cursor is not one this API issued");
  return value;
}
