import type { RouteHandler } from "@hono/zod-openapi";
import * as imports from "../../domain/audience/import-reports";
import { startCsvImport } from "../../domain/audience/import-upload";
import { exportColumns, exportListCsv } from "../../domain/audience/list-export";
import { getList } from "../../domain/audience/lists";
import type { AppBindings } from "../../lib/create-app";
import { ApiError } from "../../lib/errors";
import type * as routes from "./imports.routes";
import { toImportResponse, toImportSummary } from "./imports.schemas";

const CSV_TYPES = new Set(["text/csv", "application/csv"]);

const unsupportedMediaType = (message: string) =>
  new ApiError("unsupported_media_type", `The body's Content-Type is not one this endpoint takes: ${message}`, [
    { location: "header", path: "content-type", message },
  ]);

/** The body must be declared CSV, and UTF-8 if a charset is given (415 otherwise, as for JSON routes). */
function checkContentType(header: string | undefined) {
  const [type, ...params] = (header ?? "").split(";").map((p) => p.trim().toLowerCase());
  if (!CSV_TYPES.has(type)) {
    throw unsupportedMediaType(`Send the file with Content-Type: text/csv (got ${header ? `"${header}"` : "none"})`);
  }
  const charset = params
    .find((p) => p.startsWith("charset="))
    ?.slice("charset=".length)
    .replaceAll('"', "");
  if (charset && charset !== "utf-8" && charset !== "utf8" && charset !== "us-ascii") {
    throw unsupportedMediaType(`The CSV must be UTF-8 (got charset=${charset})`);
  }
}

interface ReportPaging {
  errors_limit: number;
  errors_cursor?: string;
  skipped_limit: number;
  skipped_cursor?: string;
}

const FIRST_PAGES: ReportPaging = { errors_limit: 100, skipped_limit: 100 };

async function importResponse(c: { var: AppBindings["Variables"] }, row: imports.ListImport, paging: ReportPaging) {
  const [errors, skipped, stored] = await Promise.all([
    imports.reportedRows(c.var.db, row.id, "errors", paging.errors_limit, paging.errors_cursor),
    imports.reportedRows(c.var.db, row.id, "skipped", paging.skipped_limit, paging.skipped_cursor),
    imports.storedReportCounts(c.var.db, row.id),
  ]);
  return toImportResponse(row, { errors, skipped }, stored);
}

export const createImport: RouteHandler<typeof routes.createImport, AppBindings> = async (c) => {
  const { list_id } = c.req.valid("param");
  checkContentType(c.req.header("content-type"));
  await getList(c.var.db, c.var.workspace.id, list_id);
  const started = await startCsvImport(
    c.var.db,
    c.env.IMPORT_QUEUE,
    c.var.workspace.id,
    list_id,
    c.req.raw.body,
    c.req.valid("query").types,
  );
  const location = `/workspaces/${c.req.param("ws")}/email-marketing/lists/${list_id}/imports/${started.import.id}`;
  return c.json({ ...(await importResponse(c, started.import, FIRST_PAGES)), columns: started.columns }, 202, { Location: location });
};

export const listImports: RouteHandler<typeof routes.listImports, AppBindings> = async (c) => {
  const { list_id } = c.req.valid("param");
  const { limit, cursor } = c.req.valid("query");
  await getList(c.var.db, c.var.workspace.id, list_id);
  const page = await imports.listImportsOf(c.var.db, c.var.workspace.id, list_id, limit, cursor);
  return c.json({ data: page.data.map(toImportSummary), next_cursor: page.next_cursor }, 200);
};

export const getImport: RouteHandler<typeof routes.getImport, AppBindings> = async (c) => {
  const { list_id, import_id } = c.req.valid("param");
  const row = await imports.getImport(c.var.db, c.var.workspace.id, list_id, import_id);
  return c.json(await importResponse(c, row, c.req.valid("query")), 200);
};

export const exportList: RouteHandler<typeof routes.exportList, AppBindings> = async (c) => {
  const { list_id } = c.req.valid("param");
  const { escape_formulae } = c.req.valid("query");
  await getList(c.var.db, c.var.workspace.id, list_id);
  const columns = await exportColumns(c.var.db, list_id);
  const stream = exportListCsv(c.var.db, c.var.workspace.id, list_id, columns, { escapeFormulae: escape_formulae });
  return c.body(stream, 200, {
    "content-type": "text/csv; charset=utf-8",
    "content-disposition": `attachment; filename="${list_id}.csv"`,
    "cache-control": "no-store",
  });
};
