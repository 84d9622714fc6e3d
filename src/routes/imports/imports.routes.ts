import { z } from "@hono/zod-openapi";
import { MAX_STORED_ERRORS } from "../../domain/audience/import-reports";
import { jsonContent, problemResponses } from "../../lib/openapi";
import { PaginationQuerySchema, pageSchema } from "../../lib/pagination";
import { ListParamsSchema } from "../lists/lists.schemas";
import { workspaceRoute } from "../route-kinds";
import {
  CsvBodySchema,
  ExportQuerySchema,
  ImportAcceptedSchema,
  ImportParamsSchema,
  ImportQuerySchema,
  ImportReportQuerySchema,
  ListImportSchema,
  ListImportSummarySchema,
} from "./imports.schemas";

const tags = ["Lists"];
const base = "/workspaces/{ws}/email-marketing/lists/{list_id}";

export const createImport = workspaceRoute({
  method: "post",
  path: `${base}/imports`,
  operationId: "importListSubscribers",
  summary: "Import subscribers into a list from a CSV file",
  description:
    "Send the file as the request body with `Content-Type: text/csv`. The header row is checked at once (422 if the " +
    "body is empty, not UTF-8 text, or has no `email` column); the rows are then read as they stream in and imported " +
    "in the background in chunks of 500. Poll the import's URL (the `Location` header) for progress. Addresses are " +
    "deduplicated within each chunk (a later duplicate is skipped as `duplicate: same address as row N`); an address repeated in " +
    "another chunk updates the same subscriber. Suppressed and erased addresses are skipped, and an existing " +
    "subscriber keeps its status: an import never re-subscribes an unsubscribed, bounced or complained address " +
    "(and a row whose `status` column says unsubscribed, bounced or complained is skipped). " +
    "Every row lands in exactly one of created, updated, skipped and invalid (`error_count`), so once the import is " +
    "completed they add up to `total_rows`; each skipped and each invalid row is listed with its row number (the file's " +
    "line, header = 1), value and reason.",
  tags,
  request: {
    params: ListParamsSchema,
    query: ImportQuerySchema,
    body: { content: { "text/csv": { schema: CsvBodySchema } }, required: true, description: "The CSV file" },
  },
  responses: {
    202: {
      content: { "application/json": { schema: ImportAcceptedSchema } },
      headers: z.object({ Location: z.string().openapi({ description: "The import's URL" }) }),
      description: "The import, queued",
    },
    ...problemResponses("bad_request", "unsupported_media_type", "validation_failed"),
  },
});

export const listImports = workspaceRoute({
  method: "get",
  path: `${base}/imports`,
  operationId: "listListImports",
  summary: "The list's CSV imports, oldest first",
  description: "Each import's status and counts; its rows reported as invalid or skipped are at the import's own URL.",
  tags,
  request: { params: ListParamsSchema, query: PaginationQuerySchema },
  responses: {
    200: jsonContent(pageSchema(ListImportSummarySchema).openapi("ListImportPage"), "A page of imports, oldest first"),
    ...problemResponses("validation_failed"),
  },
});

export const getImport = workspaceRoute({
  method: "get",
  path: `${base}/imports/{import_id}`,
  operationId: "getListImport",
  summary: "Progress and error report of a CSV import",
  description:
    "Counts are exact and update as chunks finish; `status` is `completed` when every row has been handled, and then " +
    "created + updated + skipped + error counts equal `total_rows`. `errors` lists the invalid rows and `skipped` the skipped " +
    "ones, by row number (the file's line on which the row starts, header = line 1), a page at a time; at most " +
    `${MAX_STORED_ERRORS.toLocaleString("en")} reported rows are kept per import (\`errors_truncated\`, \`skipped_truncated\`).`,
  tags,
  request: { params: ImportParamsSchema, query: ImportReportQuerySchema },
  responses: { 200: jsonContent(ListImportSchema, "The import"), ...problemResponses("validation_failed") },
});

export const exportList = workspaceRoute({
  method: "get",
  path: `${base}/export`,
  operationId: "exportListSubscribers",
  summary: "Export a list's subscribers as CSV",
  description:
    "Streams every subscriber of the list, in id order: `email`, `name`, `status`, then one column per attribute key " +
    "used in the list (sorted; a key named like a fixed column is written as `attributes.<key>`). Values are quoted " +
    "as in RFC 4180; lines end with CRLF. The file can be imported again as is (rows whose status is not active are then " +
    "skipped: an import never subscribes them).",
  tags,
  request: { params: ListParamsSchema, query: ExportQuerySchema },
  responses: {
    200: {
      content: {
        "text/csv": { schema: z.string().openapi({ example: "email,name,status,company\r\nada@example.com,Ada,active,Acme\r\n" }) },
      },
      description: "The list as CSV",
    },
    ...problemResponses("validation_failed"),
  },
});
