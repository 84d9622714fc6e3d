import { env } from "cloudflare:workers";
import { and, eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client";
import { listImportErrors, listImports, subscriberLists, workspaces } from "../../src/db/schema";
import { InvalidFieldsError, NotFoundError } from "../../src/domain/errors";
import { newId } from "../../src/lib/ids";
import { findInWorkspace } from "../../src/lib/lookups";
import { decodeCursor, encodeCursor, keysetPage, type Page } from "../../src/lib/pagination";

const db = createDb(env.DB);

async function newWorkspace() {
  const id = newId("ws");
  await db.insert(workspaces).values({ id, name: id, slug: id.toLowerCase(), timezone: "UTC" });
  return id;
}

async function newLists(workspaceId: string, count: number) {
  const rows = Array.from({ length: count }, (_, i) => ({ id: newId("lst"), workspace_id: workspaceId, name: `List ${i}` }));
  await db.insert(subscriberLists).values(rows);
  return rows.map((r) => r.id).sort();
}

const listsOf = (workspaceId: string, limit: number, cursor?: string, order?: "asc" | "desc") =>
  keysetPage(
    (after) =>
      db
        .select()
        .from(subscriberLists)
        .where(and(eq(subscriberLists.workspace_id, workspaceId), after)),
    {
      key: subscriberLists.id,
      order,
      limit,
      cursor,
    },
  );

/** Every page of a list, following next_cursor until it is null. */
async function walk<T>(fetchPage: (cursor?: string) => Promise<Page<T>>): Promise<T[][]> {
  const pages: T[][] = [];
  let cursor: string | undefined;
  do {
    const page = await fetchPage(cursor);
    pages.push(page.data);
    cursor = page.next_cursor ?? undefined;
  } while (cursor !== undefined);
  return pages;
}

function validationPath(action: () => unknown): string | undefined {
  try {
    action();
  } catch (error) {
    if (error instanceof InvalidFieldsError) return error.fields[0]?.path;
    throw error;
  }
  throw new Error("expected a 422");
}

async function rejectedPath(action: () => Promise<unknown>): Promise<string | undefined> {
  const error = await action().then(
    () => undefined,
    (e: unknown) => e,
  );
  if (error instanceof InvalidFieldsError) return error.fields[0]?.path;
  throw new Error(`expected a 422, got ${String(error)}`);
}

describe("cursors", () => {
  it("round-trip the key they encode", () => {
    expect(decodeCursor(encodeCursor("ws_01ABC"))).toBe("ws_01ABC");
    expect(decodeCursor(encodeCursor("42"))).toBe("42");
    expect(decodeCursor(undefined)).toBeUndefined();
  });

  it("refuse ones the API did not issue, naming the parameter", () => {
    expect(validationPath(() => decodeCursor("%%%"))).toBe("cursor");
    expect(validationPath(() => decodeCursor(btoa("\u0000\u0001")))).toBe("cursor");
    expect(validationPath(() => decodeCursor("%%%", "errors_cursor"))).toBe("errors_cursor");
  });
});

describe("keysetPage", () => {
  let workspaceId: string;
  let ids: string[];

  beforeAll(async () => {
    workspaceId = await newWorkspace();
    ids = await newLists(workspaceId, 5);
    // Another workspace's rows sort between these and must not leak into the pages.
    await newLists(await newWorkspace(), 3);
  });

  it("walks every row once, in key order, and the last page has no next cursor", async () => {
    const pages = await walk((cursor) => listsOf(workspaceId, 2, cursor));
    expect(pages.map((page) => page.map((l) => l.id))).toEqual([ids.slice(0, 2), ids.slice(2, 4), ids.slice(4)]);
  });

  it("ends with a null cursor when the rows fill the last page exactly", async () => {
    const exact = await newWorkspace();
    const exactIds = await newLists(exact, 4);
    const first = await listsOf(exact, 2);
    expect(first.next_cursor).toBe(encodeCursor(exactIds[1]));
    const second = await listsOf(exact, 2, first.next_cursor ?? undefined);
    expect(second).toEqual({ data: expect.any(Array), next_cursor: null });
    expect(second.data.map((l) => l.id)).toEqual(exactIds.slice(2));
  });

  it("walks newest first when ordered descending", async () => {
    const pages = await walk((cursor) => listsOf(workspaceId, 2, cursor, "desc"));
    expect(pages.flat().map((l) => l.id)).toEqual([...ids].reverse());
    expect(pages.map((page) => page.length)).toEqual([2, 2, 1]);
  });

  it("refuses a tampered cursor with a 422 on `cursor`", async () => {
    expect(await rejectedPath(() => listsOf(workspaceId, 2, "%%%"))).toBe("cursor");
  });

  describe("over an integer key", () => {
    let importId: string;

    beforeAll(async () => {
      const [listId] = ids;
      importId = newId("imp");
      await db.insert(listImports).values({ id: importId, workspace_id: workspaceId, list_id: listId });
      await db
        .insert(listImportErrors)
        .values(
          [2, 9, 10, 11].map((row_number) => ({ workspace_id: workspaceId, import_id: importId, row_number, reason: "invalid email" })),
        );
    });

    const errorsOf = (limit: number, cursor?: string) =>
      keysetPage(
        (after) =>
          db
            .select()
            .from(listImportErrors)
            .where(and(eq(listImportErrors.import_id, importId), after)),
        {
          key: listImportErrors.row_number,
          limit,
          cursor,
          cursorParam: "errors_cursor",
        },
      );

    it("walks the rows in numeric order, 9 before 10", async () => {
      const pages = await walk((cursor) => errorsOf(2, cursor));
      expect(pages.map((page) => page.map((e) => e.row_number))).toEqual([
        [2, 9],
        [10, 11],
      ]);
    });

    it("refuses a cursor that is not an integer, on the parameter it came in", async () => {
      expect(await rejectedPath(() => errorsOf(2, encodeCursor("abc")))).toBe("errors_cursor");
      expect(await rejectedPath(() => errorsOf(2, encodeCursor("1.5")))).toBe("errors_cursor");
    });
  });

  it("needs rows that carry the key column", () => {
    const nested = (cursor?: string) =>
      // @ts-expect-error rows of { list } have no top-level id for the next cursor
      keysetPage((after) => db.select({ list: subscriberLists }).from(subscriberLists).where(after), {
        key: subscriberLists.id,
        limit: 1,
        cursor,
      });
    expect(nested).toBeTypeOf("function");
  });
});

describe("findInWorkspace", () => {
  it("finds a row of the workspace and 404s on another workspace's id or an unknown one", async () => {
    const owner = await newWorkspace();
    const [listId] = await newLists(owner, 1);
    expect(await findInWorkspace(db, subscriberLists, owner, listId, "List")).toMatchObject({ id: listId, workspace_id: owner });

    const stranger = await newWorkspace();
    for (const [workspaceId, id] of [
      [stranger, listId],
      [owner, "lst_unknown"],
    ]) {
      const error = await findInWorkspace(db, subscriberLists, workspaceId, id, "List").catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NotFoundError);
      expect(error).toMatchObject({ message: "List not found" });
    }
  });

  it("narrows by a further condition, e.g. the parent named in the path", async () => {
    const owner = await newWorkspace();
    const [listId, otherListId] = await newLists(owner, 2);
    const importId = newId("imp");
    await db.insert(listImports).values({ id: importId, workspace_id: owner, list_id: listId });
    const underList = (id: string) => findInWorkspace(db, listImports, owner, importId, "Import", eq(listImports.list_id, id));
    expect(await underList(listId)).toMatchObject({ id: importId });
    await expect(underList(otherListId)).rejects.toBeInstanceOf(NotFoundError);
  });
});
