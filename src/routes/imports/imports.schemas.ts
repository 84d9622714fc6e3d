import { z } from "@hono/zod-openapi";
import { importStatuses } from "../../db/schema";
import { type AttributeType, attributeTypes } from "../../domain/audience/attribute-values";
import type { ImportErrorRow, ListImport, ReportedRows } from "../../domain/audience/import-reports";
import { MAX_STORED_ERRORS } from "../../domain/audience/import-reports";
import type { Page } from "../../lib/pagination";
import { ListParamsSchema } from "../lists/lists.schemas";

export const ImportParamsSchema = ListParamsSchema.extend({
  import_id: z.string().openapi({ param: { name: "import_id", in: "path" }, example: "imp_01JD8Z6W3B2C4D5E6F7G8H9J0K" }),
});

export const CsvBodySchema = z.string().openapi({
  description:
    "UTF-8 CSV with a header row. `email` is required; `name` sets the subscriber's name; an optional `status` column " +
    "skips rows marked unsubscribed, bounced or complained (active or empty imports the row; an import never changes an " +
    "existing subscriber's status); every other column becomes an attribute of that name (`attributes.<key>` names " +
    "one explicitly), its values read as the type the `types` parameter gives the column, or else inferred (numbers " +
    "and true/false; see `types`). " +
    "Comma-, semicolon- or tab-separated (detected from the header row); values may be quoted as in RFC 4180, with " +
    "delimiters, doubled quotes and line breaks inside quotes. Values are trimmed; an empty cell leaves the subscriber's " +
    "existing name or attribute as it is.",
  example: 'email,name,company\nada@example.com,Ada Lovelace,"Analytical Engines, Ltd."\n',
});

const declaredTypes = attributeTypes.filter((t) => t !== "auto");
const COLUMN_TYPE = new RegExp(`^.+:(${declaredTypes.join("|")})$`);

export const ImportQuerySchema = z.object({
  types: z
    .union([z.string(), z.array(z.string())])
    .optional()
    .transform((v) => (v === undefined ? [] : typeof v === "string" ? [v] : v))
    .pipe(
      z
        .array(
          z
            .string()
            .max(120)
            .regex(COLUMN_TYPE, `expected <column>:<type>, the type one of ${declaredTypes.join(", ")}`),
        )
        .max(200)
        .transform((pairs, ctx) => {
          const types = new Map<string, AttributeType>();
          for (const pair of pairs) {
            const at = pair.lastIndexOf(":");
            const column = pair.slice(0, at).trim();
            if (types.has(column)) ctx.addIssue({ code: "custom", message: `the column "${column}" is given a type more than once` });
            types.set(column, pair.slice(at + 1) as AttributeType);
          }
          return types;
        }),
    )
    .openapi({
      param: { name: "types", in: "query", style: "form", explode: true },
      type: "array",
      items: { type: "string" },
      description:
        "How to read an attribute column, as `<column>:<type>` with the column named as in the header row; repeat the " +
        "parameter for more columns (`?types=age:number&types=signed_up:date`). Types: `number`, `boolean` (true/false, " +
        "yes/no, 1/0), `date` (ISO 8601 date or date-time, stored as an RFC 3339 UTC timestamp; without an offset, UTC) " +
        "and `string` (as written). A value that cannot be read as its column's type is a row error naming the column. " +
        "Columns without a type are inferred: a value is a number only when written the way the number prints " +
        "(`70`, `-3.5`; not `007`, `+1`, `1.50` or `1e5`, so zip codes and phone numbers stay strings), `true`/`false` " +
        "(any case) are booleans, anything else is a string.",
      example: ["age:number"],
    }),
});

const reportLimit = (name: string, what: string) =>
  z.coerce
    .number()
    .int()
    .min(1)
    .max(1000)
    .default(100)
    .openapi({ param: { name, in: "query" }, description: `${what} per page, 1 to 1,000`, example: 100 });

const reportCursor = (name: string, from: string) =>
  z
    .string()
    .max(200)
    .optional()
    .openapi({ param: { name, in: "query" }, description: `\`${from}\` of the previous response` });

export const ImportReportQuerySchema = z.object({
  errors_limit: reportLimit("errors_limit", "Invalid rows"),
  errors_cursor: reportCursor("errors_cursor", "errors_next_cursor"),
  skipped_limit: reportLimit("skipped_limit", "Skipped rows"),
  skipped_cursor: reportCursor("skipped_cursor", "skipped_next_cursor"),
});

export const ExportQuerySchema = z.object({
  escape_formulae: z
    .enum(["true", "false"])
    .default("true")
    .transform((v) => v === "true")
    .openapi({
      param: { name: "escape_formulae", in: "query" },
      description:
        "Prefix values that start with =, +, -, @, tab or carriage return (after any single quotes) with a single quote, so " +
        "that a spreadsheet shows them as text instead of running them as formulas. On by default; an import removes the " +
        "quote again, so the file re-imports exactly either way. `false` writes the values unchanged.",
    }),
});

export const ImportErrorSchema = z
  .object({
    row_number: z
      .number()
      .int()
      .openapi({
        description:
          "The line of the file on which the row starts: the header row is line 1, so the first data row is usually 2. " +
          "A quoted value that spans lines moves later rows down by as many lines.",
        example: 7,
      }),
    value: z
      .string()
      .nullable()
      .openapi({ description: "The offending value (the email, the cell, or the whole row re-quoted), cut at 500 characters" }),
    reason: z.string().openapi({
      description:
        "Why the row was not imported: a code, then a colon and details when there are any. Skipped rows: duplicate " +
        "(`duplicate: same address as row N`), suppressed (`suppressed: <reason>`), erased, status_unsubscribed, " +
        "status_bounced, status_complained. Invalid rows: missing_email, invalid_email, invalid_status, name_too_long, " +
        "invalid_number, invalid_boolean, invalid_date (naming the column), attributes_too_large, unexpected_value, " +
        "malformed_quotes, unterminated_quote, row_too_large, row_too_long, not_utf8, upload_interrupted or not_imported",
      example: "invalid_email",
    }),
  })
  .openapi("ListImportError");

export const ListImportSchema = z
  .object({
    id: z.string().openapi({ example: "imp_01JD8Z6W3B2C4D5E6F7G8H9J0K" }),
    list_id: z.string(),
    status: z.enum(importStatuses).openapi({
      description: "queued → processing → completed; failed if the upload could not be handed over in full",
    }),
    total_rows: z.number().int().openapi({ description: "Data rows in the file (blank lines are not rows)" }),
    processed_rows: z.number().int().openapi({ description: "Rows done so far: created + updated + skipped + errors" }),
    created_count: z.number().int().openapi({ description: "New subscribers" }),
    updated_count: z
      .number()
      .int()
      .openapi({
        description:
          "Existing subscribers updated and added to the list (including an address repeated in a later chunk of the file); " +
          "an unsubscribed, bounced or complained subscriber keeps its status",
      }),
    skipped_count: z
      .number()
      .int()
      .openapi({
        description:
          "Rows skipped on purpose, listed in `skipped`: repeats of an address earlier in the same chunk of 500 rows, " +
          "suppressed or erased addresses, and rows whose status column says unsubscribed, bounced or complained",
      }),
    error_count: z.number().int().openapi({
      description: "Invalid rows, listed in `errors`: missing or invalid email, status or typed value, malformed CSV, too long",
    }),
    chunks_total: z
      .number()
      .int()
      .openapi({ description: "Chunks of up to 500 rows the file was split into (0 until the upload has been read)" }),
    chunks_done: z.number().int(),
    created_at: z.string(),
    updated_at: z.string(),
    completed_at: z.string().nullable(),
    errors: z.array(ImportErrorSchema).openapi({
      description: "The invalid rows, by row number; paged with errors_limit and errors_cursor",
    }),
    errors_next_cursor: z
      .string()
      .nullable()
      .openapi({ description: "Pass as `errors_cursor` for the next page of errors; null on the last page" }),
    errors_truncated: z.boolean().openapi({
      description: `True when fewer invalid rows are stored than error_count: at most ${MAX_STORED_ERRORS.toLocaleString("en")} reported rows are kept per import, and the counts stay exact`,
    }),
    skipped: z.array(ImportErrorSchema).openapi({
      description: "The skipped rows, by row number; paged with skipped_limit and skipped_cursor",
    }),
    skipped_next_cursor: z
      .string()
      .nullable()
      .openapi({ description: "Pass as `skipped_cursor` for the next page; null on the last page" }),
    skipped_truncated: z.boolean().openapi({ description: "True when fewer skipped rows are stored than skipped_count" }),
  })
  .openapi("ListImport");

export const ListImportSummarySchema = ListImportSchema.omit({
  errors: true,
  errors_next_cursor: true,
  errors_truncated: true,
  skipped: true,
  skipped_next_cursor: true,
  skipped_truncated: true,
}).openapi("ListImportSummary");

export const toImportSummary = (row: ListImport): z.infer<typeof ListImportSummarySchema> => ({
  id: row.id,
  list_id: row.list_id,
  status: row.status,
  total_rows: row.total_rows,
  processed_rows: row.processed_rows,
  created_count: row.created_count,
  updated_count: row.updated_count,
  skipped_count: row.skipped_count,
  error_count: row.error_count,
  chunks_total: row.chunks_total,
  chunks_done: row.chunks_done,
  created_at: row.created_at,
  updated_at: row.updated_at,
  completed_at: row.completed_at,
});

export const ImportAcceptedSchema = ListImportSchema.extend({
  columns: z
    .object({
      email: z.string(),
      name: z.string().nullable(),
      status: z.string().nullable(),
      attributes: z.array(z.string()).openapi({ description: "Columns imported as attributes, as named in the header row" }),
      types: z
        .record(z.string(), z.enum(attributeTypes))
        .openapi({ description: "How each attribute column is read, by name: as declared in `types`, or `auto` (inferred)" }),
    })
    .openapi({ description: "How the header row was read" }),
}).openapi("ListImportAccepted");

export function toImportResponse(
  row: ListImport,
  pages: Record<ReportedRows, Page<ImportErrorRow>>,
  stored: Record<ReportedRows, number>,
): z.infer<typeof ListImportSchema> {
  return {
    ...toImportSummary(row),
    errors: pages.errors.data,
    errors_next_cursor: pages.errors.next_cursor,
    errors_truncated: stored.errors < row.error_count,
    skipped: pages.skipped.data,
    skipped_next_cursor: pages.skipped.next_cursor,
    skipped_truncated: stored.skipped < row.skipped_count,
  };
}
