import { and, asc, eq, gt, sql } from "drizzle-orm";
import Papa from "papaparse";
import type { Database } from "../../db/client";
import { listMemberships, subscribers } from "../../db/schema";
import { FORMULA_START } from "./csv";
import { ATTRIBUTE_PREFIX } from "./csv-columns";

const EXPORT_PAGE = 1000;
const FIXED_COLUMNS = ["email", "name", "status"];

/** The export's columns: email, name, status, then every attribute key used in the list, sorted. */
export async function exportColumns(db: Database, listId: string): Promise<{ header: string[]; keys: string[] }> {
  const rows = await db.all<{ key: string }>(
    sql`select distinct j.key as key from ${listMemberships} m join ${subscribers} s on s.id = m.subscriber_id, json_each(s.attributes) j where m.list_id = ${listId} order by j.key`,
  );
  const keys = rows.map((r) => r.key);
  const reserved = new Set(FIXED_COLUMNS);
  const header = [
    ...FIXED_COLUMNS,
    ...keys.map((k) => (reserved.has(k.toLowerCase()) || k.toLowerCase().startsWith(ATTRIBUTE_PREFIX) ? `${ATTRIBUTE_PREFIX}${k}` : k)),
  ];
  return { header, keys };
}

const cell = (value: unknown): string => {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return String(value);
  return JSON.stringify(value);
};

/**
 * The list's subscribers as CSV, streamed: each pull reads the next page by subscriber id (keyset) and
 * writes it with papaparse's unparse, so memory holds one page whatever the list's size. Cells that a
 * spreadsheet would run as formulas are prefixed with a quote unless `escapeFormulae` is false; an import
 * removes that quote again (see FORMULA_START), so the file still re-imports exactly.
 */
export function exportListCsv(
  db: Database,
  workspaceId: string,
  listId: string,
  columns: { header: string[]; keys: string[] },
  options: { escapeFormulae?: boolean } = {},
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const escapeFormulae = options.escapeFormulae === false ? false : FORMULA_START;
  const unparse = (rows: string[][]) => Papa.unparse(rows, { newline: "\r\n", escapeFormulae });
  let after: string | null = null;
  let headerSent = false;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (!headerSent) {
          headerSent = true;
          controller.enqueue(encoder.encode(`${unparse([columns.header])}\r\n`));
          return;
        }
        const page = await db
          .select({
            id: subscribers.id,
            email: subscribers.email,
            name: subscribers.name,
            status: subscribers.status,
            attributes: subscribers.attributes,
          })
          .from(listMemberships)
          .innerJoin(subscribers, eq(subscribers.id, listMemberships.subscriber_id))
          .where(
            and(
              eq(listMemberships.list_id, listId),
              eq(listMemberships.workspace_id, workspaceId),
              after === null ? undefined : gt(listMemberships.subscriber_id, after),
            ),
          )
          .orderBy(asc(listMemberships.subscriber_id))
          .limit(EXPORT_PAGE);
        if (page.length > 0) {
          const rows = page.map((s) => [s.email, s.name ?? "", s.status, ...columns.keys.map((k) => cell(s.attributes?.[k]))]);
          controller.enqueue(encoder.encode(`${unparse(rows)}\r\n`));
          after = page[page.length - 1].id;
        }
        if (page.length < EXPORT_PAGE) controller.close();
      },
    },
    { highWaterMark: 1 },
  );
}
