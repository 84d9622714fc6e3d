import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import fc from "fast-check";
import Papa from "papaparse";
import { afterEach, describe, expect, it, vi } from "vitest";
import { QUEUES } from "../../queues/messages";
import type { ImportChunkMessage } from "../../src/domain/audience/import-chunk-message";
import { emailHash } from "../../src/domain/audience/suppressions";
import worker from "../../src/index";
import { api, createWorkspace } from "../factories/api";

afterEach(() => {
  vi.restoreAllMocks();
});

/** A workspace with one list; `path` builds URLs under the list. */
async function setup() {
  const { workspace, key } = await createWorkspace();
  const list = await api(`/workspaces/${workspace.id}/email-marketing/lists`, {
    method: "POST",
    token: key,
    body: { name: "Import target" },
  });
  expect(list.status).toBe(201);
  const path = (suffix = "", listId = list.json.id as string) => `/workspaces/${workspace.id}/email-marketing/lists/${listId}${suffix}`;
  return { workspace, key, listId: list.json.id as string, path };
}

/** Stands in for the import queue: the chunks the request handler sends are collected, not delivered. */
function captureImportQueue() {
  const chunks: ImportChunkMessage[] = [];
  const sendBatch = vi.spyOn(env.IMPORT_QUEUE, "sendBatch").mockImplementation(async (messages) => {
    for (const m of messages) chunks.push(structuredClone(m.body) as ImportChunkMessage);
    return { metadata: { metrics: { backlogCount: chunks.length, backlogBytes: 0 } } };
  });
  return { chunks, sendBatch };
}

let delivery = 0;

/** Delivers chunks to the Worker's queue() handler the way the Queues runtime would. */
async function deliver(bodies: unknown[], { attempts = 1, ids }: { attempts?: number; ids?: string[] } = {}) {
  const batch = createMessageBatch<unknown>(
    QUEUES.imports,
    bodies.map((body, i) => ({ id: ids?.[i] ?? `import-msg-${++delivery}`, timestamp: new Date(), attempts, body })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch, env);
  return getQueueResult(batch, ctx);
}

const upload = (path: string, key: string, csv: string, contentType = "text/csv") =>
  api(path, { method: "POST", token: key, rawBody: csv, headers: { "content-type": contentType } });

async function subscriberByEmail(workspaceId: string, key: string, email: string) {
  const res = await api(`/workspaces/${workspaceId}/email-marketing/subscribers?email=${encodeURIComponent(email)}`, { token: key });
  expect(res.status).toBe(200);
  return res.json.data[0];
}

async function importRowsOfList(listId: string) {
  const { results } = await env.DB.prepare("select count(*) as n from list_imports where list_id = ?").bind(listId).all<{ n: number }>();
  return results[0].n;
}

describe("POST .../lists/{list_id}/imports", () => {
  it("imports quoted fields and extra columns, and reports every row it did not import by line, value and reason", async () => {
    const { workspace, key, path } = await setup();
    const queue = captureImportQueue();
    const csv = [
      "email,name,company,notes", //                                                   line 1
      'ada@example.com,Ada Lovelace,"Analytical Engines, Ltd.","She said ""hi""', //    line 2 (3 lines long)
      "and left,",
      'then came back"',
      "not-an-email,Bob,Acme,", //                                                      line 5
      ",No Email,Acme,", //                                                             line 6
      "grace@example.com,Grace Hopper,US Navy,", //                                     line 7
      "", //                                                                            line 8: blank, ignored
      "ada@EXAMPLE.com,Ada Again,Duplicate Co,", //                                     line 9
      "x@example.com,X,Co,note,stray", //                                               line 10
      "  linus@example.com  ,  Linus  ,  , ", //                                        line 11
      '"broken@example.com,Unterminated', //                                            line 12
      "",
    ].join("\n");

    const res = await upload(path("/imports"), key, csv);
    expect(res.status).toBe(202);
    expect(res.headers.get("location")).toBe(path(`/imports/${res.json.id}`));
    expect(res.json).toMatchObject({
      status: "queued",
      total_rows: 8,
      processed_rows: 0,
      chunks_total: 1,
      chunks_done: 0,
      columns: { email: "email", name: "name", status: null, attributes: ["company", "notes"] },
    });
    expect(queue.chunks).toHaveLength(1);
    expect(queue.chunks[0].rows.map(([row]) => row)).toEqual([2, 5, 6, 7, 9, 11]);
    expect(queue.chunks[0].rejected.map((r) => r.row)).toEqual([10, 12]);

    const result = await deliver(queue.chunks);
    expect(result.explicitAcks).toHaveLength(1);

    const report = await api(path(`/imports/${res.json.id}`), { token: key });
    expect(report.status).toBe(200);
    expect(report.json).toMatchObject({
      id: res.json.id,
      status: "completed",
      total_rows: 8,
      processed_rows: 8,
      created_count: 3,
      updated_count: 0,
      skipped_count: 1,
      error_count: 4,
      chunks_total: 1,
      chunks_done: 1,
      errors_truncated: false,
      errors_next_cursor: null,
      skipped_truncated: false,
      skipped_next_cursor: null,
    });
    expect(report.json.completed_at).toBeTruthy();
    expect(report.json.skipped).toEqual([{ row_number: 9, value: "ada@EXAMPLE.com", reason: "duplicate: same address as row 2" }]);
    expect(report.json.errors).toEqual([
      { row_number: 5, value: "not-an-email", reason: "invalid_email" },
      { row_number: 6, value: null, reason: "missing_email" },
      { row_number: 10, value: "x@example.com,X,Co,note,stray", reason: expect.stringMatching(/^unexpected_value: column 5 /) },
      { row_number: 12, value: '"broken@example.com,Unterminated\n"', reason: expect.stringMatching(/^unterminated_quote/) },
    ]);

    const ada = await subscriberByEmail(workspace.id, key, "ada@example.com");
    expect(ada).toMatchObject({
      name: "Ada Lovelace",
      status: "active",
      attributes: { company: "Analytical Engines, Ltd.", notes: 'She said "hi"\nand left,\nthen came back' },
    });
    const linus = await subscriberByEmail(workspace.id, key, "linus@example.com");
    expect(linus).toMatchObject({ name: "Linus", attributes: {} });
    const members = await api(`/workspaces/${workspace.id}/email-marketing/subscribers?list_id=${res.json.list_id}`, { token: key });
    expect(members.json.data.map((s: { email: string }) => s.email).sort()).toEqual([
      "ada@example.com",
      "grace@example.com",
      "linus@example.com",
    ]);
  });

  it("reads semicolon-separated CRLF files with a byte-order mark and header names in any case", async () => {
    const { workspace, key, path } = await setup();
    const queue = captureImportQueue();
    const res = await upload(
      path("/imports"),
      key,
      "\uFEFFEmail;Name;Plan\r\nsemi@example.com;Semi Colon;pro\r\n",
      "text/csv; charset=utf-8",
    );
    expect(res.status).toBe(202);
    expect(res.json.columns).toEqual({ email: "Email", name: "Name", status: null, attributes: ["Plan"], types: { Plan: "auto" } });
    await deliver(queue.chunks);
    expect(await subscriberByEmail(workspace.id, key, "semi@example.com")).toMatchObject({
      name: "Semi Colon",
      attributes: { Plan: "pro" },
    });
  });

  it("reads a body that streams in small pieces, split inside characters, quotes and line breaks", async () => {
    const { workspace, key, path } = await setup();
    const queue = captureImportQueue();
    const lines = ["email,name,city"];
    for (let i = 0; i < 1500; i++) lines.push(`p${i}@example.com,"Zoë ""${i}"", Jr.","Malmö\r\nSkåne"`);
    const bytes = new TextEncoder().encode(`${lines.join("\r\n")}\r\n`);
    let at = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (at >= bytes.length) return controller.close();
        controller.enqueue(bytes.slice(at, at + 7));
        at += 7;
      },
    });
    const res = await exports.default.fetch(
      new Request(`http://flarecast.test${path("/imports")}`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "text/csv" },
        body,
      }),
    );
    expect(res.status).toBe(202);
    const accepted = (await res.json()) as { id: string; total_rows: number; chunks_total: number };
    expect(accepted).toMatchObject({ total_rows: 1500, chunks_total: 3 });
    const rows = queue.chunks.flatMap((c) => c.rows);
    expect(rows[0]).toEqual([2, "p0@example.com", 'Zoë "0", Jr.', "", ["Malmö\r\nSkåne"]]);
    expect(rows[1499]).toEqual([3000, "p1499@example.com", 'Zoë "1499", Jr.', "", ["Malmö\r\nSkåne"]]);
    expect(rows.map(([row]) => row)).toEqual(Array.from({ length: 1500 }, (_, i) => 2 + 2 * i));

    await deliver(queue.chunks);
    expect((await api(path(`/imports/${accepted.id}`), { token: key })).json).toMatchObject({ status: "completed", created_count: 1500 });
    expect(await subscriberByEmail(workspace.id, key, "p7@example.com")).toMatchObject({
      name: 'Zoë "7", Jr.',
      attributes: { city: "Malmö\r\nSkåne" },
    });
  });

  it("reports where a file stops being readable, and imports the rows before it", async () => {
    const { key, path } = await setup();
    const queue = captureImportQueue();
    const good = ["email"];
    for (let i = 0; i < 600; i++) good.push(`ok${i}@example.com`);
    const pieces = [new TextEncoder().encode(`${good.join("\n")}\n`), new Uint8Array([0x62, 0xff, 0xfe, 0x0a])];
    const res = await exports.default.fetch(
      new Request(`http://flarecast.test${path("/imports")}`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "text/csv" },
        body: new ReadableStream<Uint8Array>({
          pull(controller) {
            const next = pieces.shift();
            if (next) controller.enqueue(next);
            else controller.close();
          },
        }),
      }),
    );
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    await deliver(queue.chunks);
    const report = await api(path(`/imports/${id}`), { token: key });
    expect(report.json).toMatchObject({ status: "completed", total_rows: 601, created_count: 600, error_count: 1 });
    expect(report.json.errors).toEqual([{ row_number: 602, value: null, reason: expect.stringMatching(/^not_utf8: /) }]);

    // An unterminated quote that runs past 64 KB stops the import at its row; the rows before it are imported.
    const runaway = `email,name\nfirst@example.com,First\nsecond@example.com,"Second\n${"third@example.com,Third\n".repeat(3000)}`;
    const stopped = await upload(path("/imports"), key, runaway);
    expect(stopped.status).toBe(202);
    await deliver(queue.chunks.filter((c) => c.import_id === stopped.json.id));
    const stoppedReport = await api(path(`/imports/${stopped.json.id}`), { token: key });
    expect(stoppedReport.json).toMatchObject({ status: "completed", total_rows: 2, created_count: 1, error_count: 1 });
    expect(stoppedReport.json.errors).toEqual([
      { row_number: 3, value: expect.stringMatching(/^second@example.com,"Second/), reason: expect.stringMatching(/^row_too_long: /) },
    ]);
  });

  it("never re-subscribes an unsubscribed, bounced, complained, suppressed or erased address", async () => {
    const { workspace, key, path, listId } = await setup();
    const ws = workspace.id as string;
    const seeded = await api(path("/subscribers"), {
      method: "POST",
      token: key,
      body: { subscribers: ["unsub", "bounce", "complain"].map((n) => ({ email: `${n}@example.com`, name: n })) },
    });
    expect(seeded.status).toBe(200);
    const unsub = await subscriberByEmail(ws, key, "unsub@example.com");
    expect(
      (
        await api(`/workspaces/${ws}/email-marketing/subscribers/${unsub.id}`, {
          method: "PATCH",
          token: key,
          body: { status: "unsubscribed" },
        })
      ).status,
    ).toBe(200);
    await env.DB.batch([
      env.DB.prepare("update subscribers set status = 'bounced' where workspace_id = ? and email = ?").bind(ws, "bounce@example.com"),
      env.DB.prepare("update subscribers set status = 'complained' where workspace_id = ? and email = ?").bind(ws, "complain@example.com"),
      env.DB.prepare(
        "insert into suppressions (id, workspace_id, email, domain, email_hash, reason, created_at) values (?, ?, null, null, ?, 'erased', ?)",
      ).bind(`sup_erased_${ws}`, ws, await emailHash("erased@example.com"), new Date().toISOString()),
    ]);
    expect(
      (await api(`/workspaces/${ws}/email-marketing/suppressions`, { method: "POST", token: key, body: { email: "blocked@example.com" } }))
        .status,
    ).toBe(201);
    expect(
      (await api(`/workspaces/${ws}/email-marketing/suppressions`, { method: "POST", token: key, body: { domain: "blocked.example" } }))
        .status,
    ).toBe(201);
    // A second list, so that the import adds memberships rather than finding them.
    const other = await api(`/workspaces/${ws}/email-marketing/lists`, { method: "POST", token: key, body: { name: "Other" } });

    const queue = captureImportQueue();
    const csv = [
      "email,name,status",
      "unsub@example.com,Unsub Renamed,active",
      "bounce@example.com,Bounce,active",
      "complain@example.com,Complain,active",
      "blocked@example.com,Blocked,active",
      "someone@blocked.example,Domain Blocked,active",
      "erased@example.com,Erased,active",
      "fresh@example.com,Fresh,",
      "new-unsub@example.com,New Unsub,Unsubscribed",
      "new-bounce@example.com,New Bounce,bounced",
      "maybe@example.com,Maybe,pending",
    ].join("\n");
    const res = await upload(path("/imports", other.json.id), key, csv);
    expect(res.status).toBe(202);
    expect(res.json.columns).toMatchObject({ status: "status", attributes: [] });
    await deliver(queue.chunks);

    const report = await api(path(`/imports/${res.json.id}`, other.json.id), { token: key });
    expect(report.json).toMatchObject({
      status: "completed",
      created_count: 1,
      updated_count: 3,
      skipped_count: 5,
      error_count: 1,
      processed_rows: 10,
    });
    expect(report.json.skipped).toEqual([
      { row_number: 5, value: "blocked@example.com", reason: "suppressed: manual" },
      { row_number: 6, value: "someone@blocked.example", reason: "suppressed: manual" },
      { row_number: 7, value: "erased@example.com", reason: "erased" },
      { row_number: 9, value: "new-unsub@example.com", reason: expect.stringMatching(/^status_unsubscribed: /) },
      { row_number: 10, value: "new-bounce@example.com", reason: expect.stringMatching(/^status_bounced: /) },
    ]);
    expect(report.json.errors).toEqual([{ row_number: 11, value: "pending", reason: expect.stringMatching(/^invalid_status: /) }]);
    expect(await subscriberByEmail(ws, key, "unsub@example.com")).toMatchObject({ status: "unsubscribed", name: "Unsub Renamed" });
    expect(await subscriberByEmail(ws, key, "bounce@example.com")).toMatchObject({ status: "bounced" });
    expect(await subscriberByEmail(ws, key, "complain@example.com")).toMatchObject({ status: "complained" });
    expect(await subscriberByEmail(ws, key, "fresh@example.com")).toMatchObject({ status: "active", attributes: {} });
    for (const email of [
      "blocked@example.com",
      "someone@blocked.example",
      "erased@example.com",
      "new-unsub@example.com",
      "new-bounce@example.com",
      "maybe@example.com",
    ]) {
      expect(await subscriberByEmail(ws, key, email), email).toBeUndefined();
    }
    expect(listId).not.toBe(other.json.id);
  });

  it("splits a large file into chunks of 500, reports progress as chunks finish, and dedupes within each chunk", async () => {
    const { workspace, key, path } = await setup();
    const queue = captureImportQueue();
    const lines = ["email,name,n"];
    for (let i = 0; i < 1200; i++) lines.push(`user${i}@example.com,User ${i},${i}`);
    lines[11] = "user0@example.com,Same Chunk Duplicate,10"; // line 12: chunk 0 already has user0 (line 2)
    lines[1101] = "user1@example.com,Later Chunk Duplicate,1100"; // line 1102: chunk 2; updates user1
    lines[1151] = "nope,Invalid,1150"; // line 1152
    const res = await upload(path("/imports"), key, lines.join("\n"));
    expect(res.status).toBe(202);
    expect(res.json).toMatchObject({ total_rows: 1200, chunks_total: 3, status: "queued" });
    expect(queue.chunks.map((c) => [c.chunk, c.rows.length, c.rows[0][0]])).toEqual([
      [0, 500, 2],
      [1, 500, 502],
      [2, 200, 1002],
    ]);
    for (const c of queue.chunks) expect(JSON.stringify(c).length).toBeLessThan(128 * 1024);

    await deliver([queue.chunks[0]]);
    const partway = await api(path(`/imports/${res.json.id}`), { token: key });
    expect(partway.json).toMatchObject({ status: "processing", processed_rows: 500, chunks_done: 1, created_count: 499, skipped_count: 1 });

    await deliver([queue.chunks[2], queue.chunks[1]]); // order across chunks does not matter
    const done = await api(path(`/imports/${res.json.id}`), { token: key });
    expect(done.json).toMatchObject({
      status: "completed",
      processed_rows: 1200,
      chunks_done: 3,
      created_count: 1197,
      updated_count: 1,
      skipped_count: 1,
      error_count: 1,
    });
    expect(done.json.skipped).toEqual([{ row_number: 12, value: "user0@example.com", reason: "duplicate: same address as row 2" }]);
    expect(done.json.errors).toEqual([{ row_number: 1152, value: "nope", reason: "invalid_email" }]);
    expect(await subscriberByEmail(workspace.id, key, "user1@example.com")).toMatchObject({ name: "Later Chunk Duplicate" });
    expect(await subscriberByEmail(workspace.id, key, "user0@example.com")).toMatchObject({ name: "User 0" });

    // The export pages through the list (1,000 a page) and writes every member once.
    const exported = await api(path("/export"), { token: key });
    expect(exported.status).toBe(200);
    const parsed = Papa.parse<Record<string, string>>(exported.text, { header: true, skipEmptyLines: true });
    expect(parsed.errors).toEqual([]);
    expect(parsed.meta.fields).toEqual(["email", "name", "status", "n"]);
    expect(parsed.data).toHaveLength(1197);
    expect(new Set(parsed.data.map((r) => r.email)).size).toBe(1197);
  });

  it("keeps numbers and booleans, leaves zip codes and phone numbers strings, and reads columns as the types declared", async () => {
    const { workspace, key, path } = await setup();
    const queue = captureImportQueue();
    const csv = [
      "email,age,score,vip,zip,phone,version,joined,tags",
      "ada@example.com,70,-3.5,TRUE,02134,+15551234567,1.10,2024-03-05,a;b",
      "bob@example.com,007,0,false,10115,5551234,2,2024-03-05T10:00:00+02:00,",
    ].join("\n");

    const inferred = await upload(path("/imports"), key, csv);
    expect(inferred.status).toBe(202);
    expect(inferred.json.columns.types).toEqual({
      age: "auto",
      score: "auto",
      vip: "auto",
      zip: "auto",
      phone: "auto",
      version: "auto",
      joined: "auto",
      tags: "auto",
    });
    await deliver(queue.chunks);
    expect((await subscriberByEmail(workspace.id, key, "ada@example.com")).attributes).toEqual({
      age: 70,
      score: -3.5,
      vip: true,
      zip: "02134",
      phone: "+15551234567",
      version: "1.10",
      joined: "2024-03-05",
      tags: "a;b",
    });
    expect((await subscriberByEmail(workspace.id, key, "bob@example.com")).attributes).toMatchObject({
      age: "007",
      score: 0,
      vip: false,
      zip: 10115,
      version: 2,
    });

    queue.chunks.length = 0;
    const typed = await upload(
      path("/imports?types=age:number&types=zip:string&types=joined:date&types=vip:boolean"),
      key,
      `${csv}\ncyd@example.com,old,1,maybe,1,1,1,yesterday,`,
    );
    expect(typed.status).toBe(202);
    expect(typed.json.columns.types).toMatchObject({ age: "number", zip: "string", joined: "date", vip: "boolean", score: "auto" });
    await deliver(queue.chunks);
    expect((await subscriberByEmail(workspace.id, key, "ada@example.com")).attributes).toMatchObject({
      age: 70,
      zip: "02134",
      joined: "2024-03-05T00:00:00.000Z",
    });
    expect((await subscriberByEmail(workspace.id, key, "bob@example.com")).attributes).toMatchObject({
      age: 7,
      zip: "10115",
      joined: "2024-03-05T08:00:00.000Z",
    });
    const report = await api(path(`/imports/${typed.json.id}`), { token: key });
    expect(report.json).toMatchObject({ updated_count: 2, created_count: 0, error_count: 1 });
    expect(report.json.errors).toEqual([{ row_number: 4, value: "old", reason: 'invalid_number: column "age" expects a number' }]);
    expect(await subscriberByEmail(workspace.id, key, "cyd@example.com")).toBeUndefined();

    const unknown = await upload(path("/imports?types=agee:number"), key, csv);
    expect(unknown.status).toBe(422);
    expect(unknown.json.errors).toEqual([
      { location: "query", path: "types", message: expect.stringMatching(/no attribute column "agee".*age, score/) },
    ]);
    const badType = await upload(path("/imports?types=age:integer"), key, csv);
    expect(badType.status).toBe(422);
    expect(badType.json.errors[0]).toMatchObject({ location: "query", path: expect.stringMatching(/^types/) });
    const twice = await upload(path("/imports?types=age:number&types=age:string"), key, csv);
    expect(twice.status).toBe(422);
    const email = await upload(path("/imports?types=email:string"), key, csv);
    expect(email.status).toBe(422);
  });

  it("counts every row once: created + updated + skipped + errors is the file's rows, and each count is its list's length", async () => {
    const { workspace, key, path } = await setup();
    expect(
      (await api(path("/subscribers"), { method: "POST", token: key, body: { subscribers: [{ email: "old@example.com" }] } })).status,
    ).toBe(200);
    expect(
      (
        await api(`/workspaces/${workspace.id}/email-marketing/suppressions`, {
          method: "POST",
          token: key,
          body: { email: "blocked@example.com" },
        })
      ).status,
    ).toBe(201);
    const line = fc.constantFrom(
      "new@example.com,,1",
      "NEW@example.com,,2",
      "old@example.com,active,3",
      "other@example.com,,x",
      "blocked@example.com,,4",
      "gone@example.com,unsubscribed,5",
      "not-an-email,,6",
      ",,7",
      "maybe@example.com,pending,8",
      "stray@example.com,,9,extra",
    );
    const queue = captureImportQueue();
    await fc.assert(
      fc.asyncProperty(fc.array(line, { minLength: 1, maxLength: 15 }), async (lines) => {
        queue.chunks.length = 0;
        const res = await upload(path("/imports?types=n:number"), key, ["email,status,n", ...lines].join("\n"));
        expect(res.status).toBe(202);
        await deliver(queue.chunks);
        const report = (await api(path(`/imports/${res.json.id}`), { token: key })).json;
        expect(report).toMatchObject({ status: "completed", total_rows: lines.length, processed_rows: lines.length });
        expect(report.created_count + report.updated_count + report.skipped_count + report.error_count).toBe(lines.length);
        expect(report.errors).toHaveLength(report.error_count);
        expect(report.skipped).toHaveLength(report.skipped_count);
        const listed = [...report.errors, ...report.skipped].map((r: { row_number: number }) => r.row_number);
        expect(new Set(listed).size).toBe(listed.length);
      }),
      { numRuns: 10 },
    );
  }, 60_000); // many requests in one test: the default 5 s is too short on a busy machine

  it("counts a redelivered chunk once", async () => {
    const { key, path } = await setup();
    const queue = captureImportQueue();
    const res = await upload(path("/imports"), key, "email\na@example.com\nbad\nb@example.com\n");
    const [chunk] = queue.chunks;

    // Two copies at once: both get past the "already done?" check, and only one may count. (The second may also
    // fail outright, racing the first to create the same subscribers; its retry then finds the chunk done.)
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    const copies = await Promise.all([deliver([chunk], { ids: ["copy-a"] }), deliver([chunk], { ids: ["copy-b"] })]);
    const retried = copies.flatMap((r) => r.retryMessages.map((m) => m.msgId));
    await deliver([chunk], { ids: ["copy-a"], attempts: 2 });
    for (const id of retried) await deliver([chunk], { ids: [id], attempts: 2 });
    await deliver([chunk, chunk], { ids: ["dup-a", "dup-b"] });

    const report = await api(path(`/imports/${res.json.id}`), { token: key });
    expect(report.json).toMatchObject({
      status: "completed",
      total_rows: 3,
      processed_rows: 3,
      created_count: 2,
      updated_count: 0,
      error_count: 1,
      chunks_done: 1,
    });
    expect(report.json.errors).toEqual([{ row_number: 3, value: "bad", reason: "invalid_email" }]);
  });

  it("counts a chunk once when two copies are recorded at the same time", async () => {
    const { key, path } = await setup();
    const queue = captureImportQueue();
    // Existing addresses and bad rows only, so that both copies get all the way to recording their outcome.
    expect(
      (await api(path("/subscribers"), { method: "POST", token: key, body: { subscribers: [{ email: "old@example.com" }] } })).status,
    ).toBe(200);
    const res = await upload(path("/imports"), key, "email,name\nold@example.com,Old\nbad,Bad\n,Missing\n");
    const [chunk] = queue.chunks;
    const copies = await Promise.all([0, 1, 2].map((i) => deliver([chunk], { ids: [`race-${i}`] })));
    expect(copies.flatMap((r) => r.explicitAcks)).toHaveLength(3);

    const report = await api(path(`/imports/${res.json.id}`), { token: key });
    expect(report.json).toMatchObject({ status: "completed", processed_rows: 3, updated_count: 1, error_count: 2, chunks_done: 1 });
    expect(report.json.errors).toHaveLength(2);
  });

  it("retries a chunk that fails, and on its last attempt reports its rows as not imported so the import finishes", async () => {
    const { key, path } = await setup();
    const queue = captureImportQueue();
    const res = await upload(path("/imports"), key, "email\na@example.com\nb@example.com\n");
    // A chunk aimed at a list that does not exist fails on the membership's foreign key.
    const doomed = { ...queue.chunks[0], list_id: "lst_gone" };
    vi.spyOn(console, "error").mockImplementation(() => undefined);

    const early = await deliver([doomed], { attempts: 1 });
    expect(early.retryMessages).toHaveLength(1);
    expect((await api(path(`/imports/${res.json.id}`), { token: key })).json).toMatchObject({ status: "processing", processed_rows: 0 });

    const last = await deliver([doomed], { attempts: 4 });
    expect(last.retryMessages).toHaveLength(0);
    expect(last.explicitAcks).toHaveLength(1);
    const report = await api(path(`/imports/${res.json.id}`), { token: key });
    expect(report.json).toMatchObject({ status: "completed", processed_rows: 2, error_count: 2, created_count: 0 });
    expect(report.json.errors.map((e: { row_number: number; reason: string }) => [e.row_number, e.reason.split(":")[0]])).toEqual([
      [2, "not_imported"],
      [3, "not_imported"],
    ]);
  });

  it("keeps the first 10,000 error rows, counts them all, and pages through the report", async () => {
    const { key, path } = await setup();
    const queue = captureImportQueue();
    const lines = ["email"];
    for (let i = 0; i < 10_050; i++) lines.push(`bad-${i}`);
    const res = await upload(path("/imports"), key, lines.join("\n"));
    expect(res.json.chunks_total).toBe(21);
    await deliver(queue.chunks);

    const first = await api(path(`/imports/${res.json.id}?errors_limit=1000`), { token: key });
    expect(first.json).toMatchObject({ status: "completed", error_count: 10_050, processed_rows: 10_050, errors_truncated: true });
    expect(first.json.errors).toHaveLength(1000);
    expect(first.json.errors[0]).toEqual({ row_number: 2, value: "bad-0", reason: "invalid_email" });
    const second = await api(path(`/imports/${res.json.id}?errors_limit=1000&errors_cursor=${first.json.errors_next_cursor}`), {
      token: key,
    });
    expect(second.json.errors[0].row_number).toBe(1002);
    const { results } = await env.DB.prepare("select count(*) as n from list_import_errors where import_id = ? and row_number > 0")
      .bind(res.json.id)
      .all<{ n: number }>();
    expect(results[0].n).toBe(10_000);
  });
});

describe("GET .../lists/{list_id}/imports", () => {
  it("pages through the list's imports oldest first, and only that list's", async () => {
    const { workspace, key, path } = await setup();
    const other = await api(`/workspaces/${workspace.id}/email-marketing/lists`, { method: "POST", token: key, body: { name: "Other" } });
    const queue = captureImportQueue();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await upload(path("/imports"), key, `email\nlisted${i}@example.com\nbad\n`)).json.id);
    expect((await upload(path("/imports", other.json.id), key, "email\nelsewhere@example.com\n")).status).toBe(202);
    await deliver(queue.chunks);
    ids.sort(); // ids sort by creation time

    const first = await api(path("/imports?limit=2"), { token: key });
    expect(first.status).toBe(200);
    expect(first.json.data.map((i: { id: string }) => i.id)).toEqual(ids.slice(0, 2));
    expect(first.json.data[0]).toMatchObject({
      list_id: first.json.data[0].list_id,
      status: "completed",
      total_rows: 2,
      created_count: 1,
      error_count: 1,
    });
    expect(first.json.data[0]).not.toHaveProperty("errors");
    const second = await api(path(`/imports?limit=2&cursor=${first.json.next_cursor}`), { token: key });
    expect(second.json).toEqual({ data: [expect.objectContaining({ id: ids[2] })], next_cursor: null });

    expect((await api(path("/imports", "lst_nope"), { token: key })).status).toBe(404);
    const stranger = await setup();
    expect((await api(path("/imports"), { token: stranger.key })).status).toBe(404);
  });
});

describe("bad imports", () => {
  it("answer 422 problem+json naming the problem (415 for a Content-Type that is not UTF-8 CSV), and store nothing", async () => {
    const { key, path, listId } = await setup();
    const queue = captureImportQueue();
    const cases: [string, string, string, { location: string; path: string; message: RegExp }][] = [
      ["empty body", "", "text/csv", { location: "body", path: "", message: /empty/ }],
      ["only blank lines", "\n\n  \n", "text/csv", { location: "body", path: "", message: /empty/ }],
      ["header only", "email,name\n", "text/csv", { location: "body", path: "", message: /no data rows/ }],
      [
        "no email column",
        "name,company\nAda,Acme\n",
        "text/csv",
        { location: "body", path: "email", message: /no "email" column.*name, company/ },
      ],
      [
        "JSON sent as CSV",
        '{"subscribers":[{"email":"a@example.com"}]}',
        "text/csv",
        { location: "body", path: "email", message: /no "email" column/ },
      ],
      [
        "duplicate column",
        "email,Email\na@example.com,b@example.com\n",
        "text/csv",
        { location: "body", path: "Email", message: /more than once/ },
      ],
    ];
    for (const [label, body, type, error] of cases) {
      const res = await upload(path("/imports"), key, body, type);
      expect(res.status, label).toBe(422);
      expect(res.headers.get("content-type"), label).toBe("application/problem+json");
      expect(res.json, label).toMatchObject({ type: "urn:flarecast:problem:validation_failed", status: 422 });
      expect(res.json.errors, label).toEqual([
        { location: error.location, path: error.path, message: expect.stringMatching(error.message) },
      ]);
    }

    for (const [label, type, message] of [
      ["JSON content type", "application/json", /text\/csv/],
      ["no content type", "", /text\/csv/],
      ["Latin-1 charset", "text/csv; charset=iso-8859-1", /UTF-8/],
    ] as const) {
      const res = await upload(path("/imports"), key, "email\na@example.com\n", type);
      expect(res.status, label).toBe(415);
      expect(res.headers.get("content-type"), label).toBe("application/problem+json");
      expect(res.json, label).toMatchObject({ type: "urn:flarecast:problem:unsupported_media_type", status: 415 });
      expect(res.json.errors, label).toEqual([{ location: "header", path: "content-type", message: expect.stringMatching(message) }]);
    }

    const notUtf8 = await exports.default.fetch(
      new Request(`http://flarecast.test${path("/imports")}`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "text/csv" },
        body: new Uint8Array([0x65, 0x6d, 0xff, 0xfe, 0x00, 0x81, 0x0a, 0x61, 0x40, 0x62, 0x0a]),
      }),
    );
    expect(notUtf8.status).toBe(422);
    expect(((await notUtf8.json()) as { detail: string }).detail).toMatch(/not UTF-8/);

    expect(queue.sendBatch).not.toHaveBeenCalled();
    expect(await importRowsOfList(listId)).toBe(0);
  });

  it("are 404 for another workspace's list and imports, and for an unknown list", async () => {
    const mine = await setup();
    const theirs = await setup();
    const queue = captureImportQueue();
    const theirImport = await upload(theirs.path("/imports"), theirs.key, "email\na@example.com\n");
    expect(theirImport.status).toBe(202);
    await deliver(queue.chunks);

    const asMe = (p: string) => p.replace(`/workspaces/${theirs.workspace.id}/`, `/workspaces/${mine.workspace.id}/`);
    for (const [label, res] of [
      ["their workspace", await upload(theirs.path("/imports"), mine.key, "email\nb@example.com\n")],
      ["their list via my workspace", await upload(asMe(theirs.path("/imports")), mine.key, "email\nb@example.com\n")],
      ["their import", await api(theirs.path(`/imports/${theirImport.json.id}`), { token: mine.key })],
      ["their import via my workspace", await api(asMe(theirs.path(`/imports/${theirImport.json.id}`)), { token: mine.key })],
      ["their import under my list", await api(mine.path(`/imports/${theirImport.json.id}`), { token: mine.key })],
      ["their export", await api(theirs.path("/export"), { token: mine.key })],
      ["their export via my workspace", await api(asMe(theirs.path("/export")), { token: mine.key })],
      ["unknown list", await upload(mine.path("/imports", "lst_nope"), mine.key, "email\nb@example.com\n")],
      ["unknown import", await api(mine.path("/imports/imp_nope"), { token: mine.key })],
    ] as const) {
      expect(res.status, label).toBe(404);
      expect(res.text, label).not.toContain("a@example.com");
    }
    expect(queue.chunks).toHaveLength(1);
    expect(await importRowsOfList(mine.listId)).toBe(0);
  });
});

describe("GET .../lists/{list_id}/export", () => {
  it("round-trips an import with correct quoting, and re-imports as is", async () => {
    const { workspace, key, path } = await setup();
    const queue = captureImportQueue();
    const csv =
      "email,name,company,motto,status\n" +
      'quote@example.com,"O\'Brien, ""Bob""","Acme, Inc.","line one\nline two",active\n' +
      "formula@example.com,=SUM(A1:A2),+1,@home,active\n" +
      'unicode@example.com,Zoë Ünïcødé 😀,  spaced  ,"tab\there",active\n' +
      "plain@example.com,Plain,,,active\n";
    const res = await upload(path("/imports"), key, csv);
    expect(res.status).toBe(202);
    await deliver(queue.chunks);
    expect((await api(path(`/imports/${res.json.id}`), { token: key })).json).toMatchObject({ created_count: 4, error_count: 0 });

    const exported = await api(path("/export"), { token: key });
    expect(exported.status).toBe(200);
    expect(exported.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(exported.headers.get("content-disposition")).toContain("attachment");
    const lines = exported.text.split("\r\n");
    expect(lines[0]).toBe("email,name,status,company,motto");
    expect(exported.text).toContain('quote@example.com,"O\'Brien, ""Bob""",active,"Acme, Inc.","line one\nline two"\r\n');
    expect(exported.text).toContain("plain@example.com,Plain,active,,\r\n");
    expect(exported.text.endsWith("\r\n")).toBe(true);

    const parsed = Papa.parse<Record<string, string>>(exported.text, { header: true, skipEmptyLines: true });
    const byEmail = Object.fromEntries(parsed.data.map((r) => [r.email, r]));
    expect(byEmail["quote@example.com"]).toEqual({
      email: "quote@example.com",
      name: 'O\'Brien, "Bob"',
      status: "active",
      company: "Acme, Inc.",
      motto: "line one\nline two",
    });
    expect(byEmail["formula@example.com"]).toMatchObject({ name: "'=SUM(A1:A2)", company: "'+1", motto: "'@home" });
    expect(byEmail["unicode@example.com"]).toMatchObject({ name: "Zoë Ünïcødé 😀", company: "spaced", motto: "tab\there" });
    expect(exported.text).toContain(`formula@example.com,"'=SUM(A1:A2)",active,"'+1","'@home"\r\n`);

    const unescaped = await api(path("/export?escape_formulae=false"), { token: key });
    expect(unescaped.text).toContain("formula@example.com,=SUM(A1:A2),active,+1,@home\r\n");

    // The export is itself a valid import: into a new list, every row updates its subscriber and nothing changes.
    const second = await api(`/workspaces/${workspace.id}/email-marketing/lists`, { method: "POST", token: key, body: { name: "Copy" } });
    const again = await upload(path("/imports", second.json.id), key, exported.text);
    expect(again.status).toBe(202);
    expect(again.json.columns).toEqual({
      email: "email",
      name: "name",
      status: "status",
      attributes: ["company", "motto"],
      types: { company: "auto", motto: "auto" },
    });
    await deliver(queue.chunks.slice(1));
    expect((await api(path(`/imports/${again.json.id}`, second.json.id), { token: key })).json).toMatchObject({
      status: "completed",
      updated_count: 4,
      created_count: 0,
      error_count: 0,
      skipped_count: 0,
    });
    const copy = await api(path("/export", second.json.id), { token: key });
    expect(copy.text).toBe(exported.text);
  });

  it("writes attribute keys that collide with its own columns as attributes.<key>, which import reads back", async () => {
    const { workspace, key, path } = await setup();
    const seeded = await api(path("/subscribers"), {
      method: "POST",
      token: key,
      body: { subscribers: [{ email: "odd@example.com", name: "Odd", attributes: { status: "vip", plan: 3, tags: ["a", "b"] } }] },
    });
    expect(seeded.status).toBe(200);
    const exported = await api(path("/export"), { token: key });
    expect(exported.text).toBe('email,name,status,plan,attributes.status,tags\r\nodd@example.com,Odd,active,3,vip,"[""a"",""b""]"\r\n');

    const queue = captureImportQueue();
    const second = await api(`/workspaces/${workspace.id}/email-marketing/lists`, { method: "POST", token: key, body: { name: "Copy" } });
    const res = await upload(path("/imports", second.json.id), key, exported.text);
    expect(res.json.columns).toMatchObject({ status: "status", attributes: ["plan", "attributes.status", "tags"] });
    await deliver(queue.chunks);
    expect(await subscriberByEmail(workspace.id, key, "odd@example.com")).toMatchObject({
      attributes: { status: "vip", plan: 3, tags: '["a","b"]' },
    });
  });

  it("a list's CSV export does not hand spreadsheet formulas to whoever opens it", async () => {
    const { key, path } = await setup();
    await api(path("/subscribers"), {
      method: "POST",
      token: key,
      body: {
        subscribers: [{ email: "formula@example.com", name: '=HYPERLINK("http://evil.example","x")', attributes: { note: "+1+1" } }],
      },
    });
    const csv = await api(path("/export"), { token: key });
    expect(csv.status).toBe(200);
    const cells = csv.text
      .split(/\r?\n/)[1]
      .split(",")
      .map((c) => c.replace(/^"/, ""));
    expect(cells.filter((c) => /^[=+\-@]/.test(c))).toEqual([]);
  });

  it("re-imports escaped cells to the values exported, including values that already began with a quote", async () => {
    const { workspace, key, path } = await setup();
    const values = { a: "=1+1", b: "'=kept quote", c: "''@two quotes", d: "'plain quote", e: "-5 degrees" };
    await api(path("/subscribers"), {
      method: "POST",
      token: key,
      body: { subscribers: [{ email: "-dash@example.com", attributes: values }] },
    });
    const exported = await api(path("/export"), { token: key });
    expect(exported.text).toContain(`"'-dash@example.com"`);
    expect(exported.text).toContain(`"''=kept quote"`);
    expect(exported.text).toContain(`'plain quote`);
    expect(exported.text).not.toContain(`''plain quote`);

    const original = await subscriberByEmail(workspace.id, key, "-dash@example.com");
    expect(
      (await api(`/workspaces/${workspace.id}/email-marketing/subscribers/${original.id}`, { method: "DELETE", token: key })).status,
    ).toBe(204);
    const queue = captureImportQueue();
    const second = await api(`/workspaces/${workspace.id}/email-marketing/lists`, { method: "POST", token: key, body: { name: "Copy" } });
    expect((await upload(path("/imports", second.json.id), key, exported.text)).status).toBe(202);
    await deliver(queue.chunks);
    expect(await subscriberByEmail(workspace.id, key, "-dash@example.com")).toMatchObject({ attributes: values });
  });

  it("exports an empty list as just the header row", async () => {
    const { key, path } = await setup();
    const res = await api(path("/export"), { token: key });
    expect(res.status).toBe(200);
    expect(res.text).toBe("email,name,status\r\n");
  });
});
