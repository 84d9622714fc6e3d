import type { RouteHandler } from "@hono/zod-openapi";
import * as imports from "../../domain/audience/imports";
import { getList } from "../../domain/audience/lists";
import { invalidField } from "../../lib/errors";
import type { AppBindings } from "../../lib/create-app";
import type * as routes from "./imports.routes";
import { toImportResponse } from "./imports.schemas";

const CSV_TYPES = new Set(["text/csv", "application/csv"]);

/** The body must be declared CSV, and UTF-8 if a charset is given. */
function checkContentType(header: string | undefined) {
  const [type, ...params] = (header ?? "").split(";").map((p) => p.trim().toLowerCase());
  if (!CSV_TYPES.has(type)) {
    throw invalidField("header", "content-type", `Send the file with Content-Type: text/csv (got ${header ? `"${header}"` : "none"})`);
  }
  const charset = params.find((p) => p.startsWith("charset="))?.slice("charset=".length).replaceAll('"', "");
  if (charset && charset !== "utf-8" && charset !== "utf8" && charset !== "us-ascii") {
    throw invalidField("header", "content-type", `The CSV must be UTF-8 (got charset=${charset})`);
  }
}

async function importResponse(c: { var: AppBindings["Variables"] }, row: imports.ListImport, limit: number, cursor?: string) {
  const [errors, stored] = await Promise.all([imports.importErrors(c.var.db, row.id, limit, cursor), imports.storedErrorCount(c.var.db, row.id)]);
  return toImportResponse(row, errors, stored);
}

export const createImport: RouteHandler<typeof routes.createImport, AppBindings> = async (c) => {
  const { list_id } = c.req.valid("param");
  checkContentType(c.req.header("content-type"));
  await getList(c.var.db, c.var.workspace.id, list_id);
  const started = await imports.startCsvImport(c.var.db, c.env.IMPORT_QUEUE, c.var.workspace.id, list_id, c.req.raw.body);
  const location = `/workspaces/${c.req.param("ws")}/email-marketing/lists/${list_id}/imports/${started.import.id}`;
  return c.json({ ...(await importResponse(c, started.import, 100)), columns: started.columns }, 202, { Location: location });
};

export const getImport: RouteHandler<typeof routes.getImport, AppBindings> = async (c) => {
  const { list_id, import_id } = c.req.valid("param");
  const { errors_limit, errors_cursor } = c.req.valid("query");
  const row = await imports.getImport(c.var.db, c.var.workspace.id, list_id, import_id);
  return c.json(await importResponse(c, row, errors_limit, errors_cursor), 200);
};

export const exportList: RouteHandler<typeof routes.exportList, AppBindings> = async (c) => {
  const { list_id } = c.req.valid("param");
  const { escape_formulae } = c.req.valid("query");
  await getList(c.var.db, c.var.workspace.id, list_id);
  const columns = await imports.exportColumns(c.var.db, list_id);
  const stream = imports.exportListCsv(c.var.db, c.var.workspace.id, list_id, columns, { escapeFormulae: escape_formulae });
  return c.body(stream, 200, {
    "content-type": "text/csv; charset=utf-8",
    "content-disposition": `attachment; filename="${list_id}.csv"`,
    "cache-control": "no-store",
  });
};
