import { env } from "cloudflare:workers";
import { count } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client";
import { subscribers } from "../../src/db/schema";
import { type AudienceFilter, AudienceFilterSchema, audienceCondition } from "../../src/domain/audience/segments";
import { api, createWorkspace } from "../factories/api";

async function workspaceWith(people: { email: string; attributes?: Record<string, unknown> }[]) {
  const { workspace, key } = await createWorkspace();
  const call = (path: string, method = "GET", body?: unknown) =>
    api(`/workspaces/${workspace.id}/email-marketing${path}`, { method, token: key, body });
  const { json: list } = await call("/lists", "POST", { name: "Everyone" });
  if (people.length > 0) {
    const added = await call(`/lists/${list.id}/subscribers`, "POST", { subscribers: people });
    expect(added.json.created).toBe(people.length);
  }
  const preview = (body: unknown) => call("/audience/preview", "POST", body);
  /** The local parts of the matching addresses, sorted. */
  const who = async (audience_filters: unknown) => {
    const res = await preview({ audience_filters });
    expect(res.status, res.text).toBe(200);
    return res.json.sample.map((s: { email: string }) => s.email.split("@")[0]).sort();
  };
  return { call, preview, who, list };
}

describe("typed filter comparisons", () => {
  const people = [
    { email: "number@x.io", attributes: { age: 70, plan: "pro", score: 95, beta: true, signup: "2026-01-01T05:00:00Z" } },
    { email: "text@x.io", attributes: { age: "70", plan: "pro", score: "91", beta: "true", signup: "2026-01-01T00:00:00.000-05:00" } },
    { email: "words@x.io", attributes: { age: "unknown", plan: "pro", score: "high", beta: "yes", signup: "soon" } },
    { email: "small@x.io", attributes: { age: "9", plan: "free", score: 99, beta: false, signup: "2025-12-31T23:59:59Z" } },
    { email: "empty@x.io", attributes: { age: null, nested: { age: 70 } } },
  ];

  it("compares numbers numerically, numeric strings included, and never matches non-numbers", async () => {
    const w = await workspaceWith(people);
    const age = (op: string, value: unknown) => w.who({ field: "attributes.age", op, value });
    expect(await age("gt", 1_000_000)).toEqual([]);
    expect(await age("eq", 70)).toEqual(["number", "text"]);
    expect(await age("gt", 10)).toEqual(["number", "text"]);
    expect(await age("lt", 10)).toEqual(["small"]);
    expect(await age("lte", 70)).toEqual(["number", "small", "text"]);
    expect(await age("in", [9, 70])).toEqual(["number", "small", "text"]);
    expect(await age("neq", 70)).toEqual(["empty", "small", "words"]);
    expect(
      await w.who({
        and: [
          { field: "attributes.plan", op: "eq", value: "pro" },
          { field: "attributes.score", op: "gte", value: 90 },
        ],
      }),
    ).toEqual(["number", "text"]);
  });

  it("compares strings as strings, booleans as booleans and dates as instants", async () => {
    const w = await workspaceWith(people);
    expect(await w.who({ field: "attributes.age", op: "eq", value: "70" })).toEqual(["text"]);
    expect(await w.who({ field: "attributes.age", op: "gt", value: "8" })).toEqual(["small", "words"]);
    expect(await w.who({ field: "attributes.beta", op: "eq", value: true })).toEqual(["number", "text"]);
    expect(await w.who({ field: "attributes.beta", op: "in", value: [false] })).toEqual(["small"]);
    expect(await w.who({ field: "attributes.beta", op: "neq", value: true })).toEqual(["empty", "small", "words"]);
    expect(await w.who({ field: "attributes.signup", op: "eq", value: "2026-01-01T05:00:00.000Z" })).toEqual(["number", "text"]);
    expect(await w.who({ field: "attributes.signup", op: "gt", value: "2026-01-01T04:00:00+00:00" })).toEqual(["number", "text"]);
    expect(await w.who({ field: "attributes.signup", op: "lt", value: "2026-01-01T01:00:00+01:00" })).toEqual(["small"]);
    expect(await w.who({ field: "attributes.signup", op: "in", value: ["soon", "2026-01-01T06:00:00+01:00"] })).toEqual([
      "number",
      "text",
      "words",
    ]);
    expect(await w.who({ field: "attributes.age", op: "exists" })).toEqual(["empty", "number", "small", "text", "words"]);
  });

  it("compares created_at with bounds written at any offset as instants", async () => {
    const w = await workspaceWith(people.slice(0, 2));
    const hour = 3_600_000;
    const at = (ms: number, offsetHours: number) => {
      const local = new Date(ms + offsetHours * hour).toISOString().slice(0, 19);
      const sign = offsetHours < 0 ? "-" : "+";
      return `${local}${sign}${String(Math.abs(offsetHours)).padStart(2, "0")}:00`;
    };
    const now = Date.now();
    expect(await w.who({ field: "created_at", op: "gt", value: at(now - hour, 14) })).toEqual(["number", "text"]);
    expect(await w.who({ field: "created_at", op: "lt", value: at(now + hour, -5) })).toEqual(["number", "text"]);
    expect(await w.who({ field: "created_at", op: "gt", value: at(now + hour, -5) })).toEqual([]);
    expect(await w.who({ field: "created_at", op: "lte", value: at(now - hour, 14) })).toEqual([]);
  });

  it("reads an in-list once per statement, not once per subscriber", async () => {
    const filter: AudienceFilter = {
      or: [
        { field: "attributes.country", op: "in", value: ["UK", 3, true, "2026-01-01T00:00:00Z"] },
        { field: "email", op: "in", value: ["a@x.io"] },
      ],
    };
    const query = createDb(env.DB)
      .select({ n: count() })
      .from(subscribers)
      .where(audienceCondition({ workspaceId: "ws_1", now: new Date() }, null, filter))
      .toSQL();
    const plan = await env.DB.prepare(`EXPLAIN QUERY PLAN ${query.sql}`)
      .bind(...query.params)
      .all<{ detail: string }>();
    const details = plan.results.map((row) => row.detail);
    expect(details.filter((d) => d.startsWith("LIST SUBQUERY"))).toHaveLength(3);
    expect(details.filter((d) => d.includes("CORRELATED LIST SUBQUERY"))).toEqual([]);
  });

  it("refuses comparisons that have no meaning for the field", async () => {
    const w = await workspaceWith([]);
    const path = async (audience_filters: unknown) => {
      const res = await w.preview({ audience_filters });
      expect(res.status).toBe(422);
      return res.json.errors.map((e: { path: string }) => e.path);
    };
    expect(await path({ field: "attributes.beta", op: "gt", value: true })).toContain("audience_filters.value");
    expect(await path({ field: "email", op: "eq", value: 7 })).toContain("audience_filters.value");
    expect(await path({ field: "name", op: "contains", value: "" })).toContain("audience_filters.value");
    expect(await path({ field: "created_at", op: "gt", value: "2026-01-01" })).toContain("audience_filters.value");
  });
});

describe("filter size limits", () => {
  const dateLeaf = (i: number) => ({
    field: `attributes.k${i % 3}`,
    op: "in",
    value: [i, `v${i}`, true, `2026-01-0${(i % 9) + 1}T00:00:00+14:00`],
  });
  const nested = (depth: number, inner: unknown, group: (child: unknown) => unknown) => {
    let filter = inner;
    for (let i = 0; i < depth; i++) filter = group(filter);
    return filter;
  };

  it("runs the deepest and widest filters the schema allows on D1", async () => {
    const w = await workspaceWith([{ email: "a@x.io", attributes: { k0: 0, k1: "v1", k2: "2026-01-03T00:00:00+14:00" } }]);
    let leaf = 0;
    const leaves = (n: number) => Array.from({ length: n }, () => dateLeaf(leaf++));
    // Eight groups deep, each an `and` or `or` whose first member is the next group: 30 conditions.
    let deepAndWide: unknown = { or: leaves(2) };
    for (let level = 1; level < 8; level++) deepAndWide = { [level % 2 ? "and" : "or"]: [deepAndWide, ...leaves(4)] };
    const shapes = [
      deepAndWide,
      nested(7, { and: leaves(30) }, (child) => ({ not: child })),
      nested(8, { field: "attributes.k2", op: "lte", value: "2026-01-02T10:00:00Z" }, (child) => ({ not: child })),
      { or: leaves(30) },
    ];
    for (const audience_filters of shapes) {
      const res = await w.preview({ audience_filters, list_id: w.list.id });
      expect(res.status, res.text).toBe(200);
    }
  });

  it("answers one level or one condition more with 422 and the path", async () => {
    const w = await workspaceWith([]);
    const tooDeep = await w.preview({ audience_filters: nested(9, { field: "name", op: "exists" }, (child) => ({ not: child })) });
    expect(tooDeep.status).toBe(422);
    expect(tooDeep.json.errors).toEqual([
      expect.objectContaining({ path: `audience_filters${".not".repeat(8)}`, message: "groups nest at most 8 deep" }),
    ]);
    const tooDeepInAnd = await w.preview({
      audience_filters: {
        and: [{ field: "name", op: "exists" }, nested(8, { field: "name", op: "exists" }, (child) => ({ or: [child] }))],
      },
    });
    expect(tooDeepInAnd.json.errors[0].path).toBe(`audience_filters.and.1${".or.0".repeat(7)}`);
    const tooMany = await w.preview({
      audience_filters: { or: [{ and: Array.from({ length: 16 }, dateLeaf) }, { and: Array.from({ length: 15 }, dateLeaf) }] },
    });
    expect(tooMany.status).toBe(422);
    expect(tooMany.json.errors[0]).toMatchObject({ path: "audience_filters", message: expect.stringContaining("at most 30 conditions") });
  });

  it("answers bodies nested thousands deep with 422, not a stack overflow", async () => {
    const w = await workspaceWith([]);
    for (const [depth, group] of [
      [1_000, (child: unknown) => ({ and: [child] })],
      [10_000, (child: unknown) => ({ not: child })],
      [10_000, (child: unknown) => ({ or: [child, { field: "name", op: "exists" }] })],
    ] as const) {
      const filter = nested(depth, { field: "name", op: "exists" }, group);
      // Over HTTP the JSON-body gate (64 levels) may answer first; the schema must hold on its own inside any body.
      const res = await w.preview({ audience_filters: filter });
      expect(res.status, res.text.slice(0, 300)).toBe(422);
      expect(res.json.errors[0].message).toMatch(/deep/);
      const parsed = AudienceFilterSchema.safeParse(filter);
      expect(parsed.success).toBe(false);
      expect(parsed.error?.issues[0].message).toBe("groups nest at most 8 deep");
    }
  });
});

describe("filter references", () => {
  it("answers an unknown or another workspace's list with 422 and its path", async () => {
    const w = await workspaceWith([{ email: "a@x.io" }]);
    const other = await workspaceWith([]);
    const member = (list_id: string) => ({ list: { op: "member", list_id } });
    const res = await w.preview({
      list_id: other.list.id,
      audience_filters: { and: [member(w.list.id), { not: member("lst_nope") }, { or: [member(other.list.id)] }] },
    });
    expect(res.status).toBe(422);
    expect(res.json.errors.map((e: { path: string }) => e.path)).toEqual([
      "list_id",
      "audience_filters.and.1.not.list.list_id",
      "audience_filters.and.2.or.0.list.list_id",
    ]);
    expect(await w.who({ and: [member(w.list.id), { not: { list: { op: "not_member", list_id: w.list.id } } }] })).toEqual(["a"]);
  });
});
