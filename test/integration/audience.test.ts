import { env } from "cloudflare:workers";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { newId } from "../../src/lib/ids";
import { api, createWorkspace } from "../factories/api";

async function workspace() {
  const { workspace, key } = await createWorkspace();
  const call = (path: string, method = "GET", body?: unknown) =>
    api(`/workspaces/${workspace.id}/email-marketing${path}`, { method, token: key, body });
  return { workspace, key, call };
}

const people = [
  { email: "ada@acme.io", name: "Ada Lovelace", attributes: { plan: "pro", seats: 12, beta: true, country: "UK" } },
  { email: "grace@acme.io", name: "Grace Hopper", attributes: { plan: "free", seats: 1, country: "US" } },
  { email: "linus@kernel.org", name: "Linus", attributes: { plan: "pro", seats: 3 } },
  { email: "Margaret@NASA.gov", name: "Margaret Hamilton", attributes: { plan: "enterprise", seats: 400, country: "US" } },
  { email: "o'brien@example.com", name: "Robert'); DROP TABLE subscribers;--", attributes: { plan: "free" } },
];

async function seeded() {
  const w = await workspace();
  const { json: list } = await w.call("/lists", "POST", { name: "Everyone" });
  const res = await w.call(`/lists/${list.id}/subscribers`, "POST", { subscribers: people });
  expect(res.json).toMatchObject({ created: 5, updated: 0, skipped: 0, errors: [] });
  const { json: subs } = await w.call("/subscribers?limit=100");
  const idOf = (email: string) => subs.data.find((s: { email: string }) => s.email === email).id as string;
  const emailsFor = async (audience_filters: unknown, list_id?: string) => {
    const r = await w.call("/audience/preview", "POST", { audience_filters, list_id });
    expect(r.status, r.text).toBe(200);
    return r.json.sample.map((s: { email: string }) => s.email).sort();
  };
  return { ...w, list, idOf, emailsFor };
}

describe("subscribers and lists", () => {
  it("normalizes emails, keeps one subscriber per address, and reports each bad row of a bulk upsert", async () => {
    const w = await workspace();
    const { json: list } = await w.call("/lists", "POST", { name: "Newsletter" });
    await w.call("/suppressions", "POST", { email: "blocked@example.com" });
    const res = await w.call(`/lists/${list.id}/subscribers`, "POST", {
      subscribers: [
        { email: "  Ada@EXAMPLE.com ", name: "Ada" },
        { email: "not-an-email" },
        { email: "Ada@example.com", name: "Ada again" },
        { email: "blocked@example.com" },
        { email: "bob@example.com", attributes: { plan: "pro" }, preferences: { ghosts: false } },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      created: 2,
      updated: 0,
      skipped: 2,
      invalid: 1,
      errors: [{ index: 1, email: "not-an-email", reason: "invalid_email" }],
      skipped_rows: [
        { index: 2, email: "ada@example.com", reason: "duplicate: same address as row 0" },
        { index: 3, email: "blocked@example.com", reason: "suppressed: manual" },
      ],
      warnings: [{ index: 4, email: "bob@example.com", reason: 'unknown_category: "ghosts" does not exist and was ignored' }],
    });
    const ada = await w.call("/subscribers?email=ada@example.com");
    expect(ada.json.data).toHaveLength(1);
    expect(ada.json.data[0]).toMatchObject({ email: "ada@example.com", name: "Ada", status: "active" });
    expect((await w.call("/subscribers?email=%20ADA@Example.com")).json.data).toHaveLength(1);

    const again = await w.call(`/lists/${list.id}/subscribers`, "POST", {
      subscribers: [{ email: "ADA@example.COM", attributes: { vip: true } }],
    });
    expect(again.json).toMatchObject({ created: 0, updated: 1 });
    expect((await w.call(`/subscribers/${ada.json.data[0].id}`)).json.attributes).toEqual({ vip: true });
    expect((await w.call(`/lists/${list.id}`)).json.subscriber_count).toBe(2);
  });

  it("puts every row of a bulk upsert in exactly one of created, updated, skipped and invalid, and lists warnings apart", async () => {
    const w = await workspace();
    const { json: list } = await w.call("/lists", "POST", { name: "Sums" });
    await w.call("/categories", "POST", { slug: "news", name: "News" });
    await w.call("/suppressions", "POST", { email: "blocked@example.com" });
    const row = fc.record(
      {
        email: fc.constantFrom(
          "a@example.com",
          "A@Example.com ",
          "b@example.com",
          "c@example.com",
          "blocked@example.com",
          "nope",
          "",
          "x@",
        ),
        preferences: fc.constantFrom({ news: false }, { ghosts: true }, { ghosts: false, news: true }),
      },
      { requiredKeys: ["email"] },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(row, { minLength: 1, maxLength: 12 }), async (rows) => {
        const res = await w.call(`/lists/${list.id}/subscribers`, "POST", { subscribers: rows });
        expect(res.status).toBe(200);
        const out = res.json;
        expect(out.created + out.updated + out.skipped + out.invalid).toBe(rows.length);
        expect(out.errors).toHaveLength(out.invalid);
        expect(out.skipped_rows).toHaveLength(out.skipped);
        const notImported = [...out.errors, ...out.skipped_rows].map((r: { index: number }) => r.index);
        expect(new Set(notImported).size).toBe(notImported.length);
        const imported = rows.map((_, i) => i).filter((i) => !notImported.includes(i));
        expect(imported).toHaveLength(out.created + out.updated);
        const warned = out.warnings.map((r: { index: number }) => r.index);
        for (const i of warned) expect(imported).toContain(i);
        // One warning per unknown category of a row: a row is never warned about another row's preferences.
        expect(warned).toEqual(imported.filter((i) => rows[i].preferences && "ghosts" in (rows[i].preferences ?? {})));
      }),
      { numRuns: 12 },
    );
  }, 60_000); // many requests in one test: the default 5 s is too short on a busy machine

  it("keeps attribute values as the JSON types sent", async () => {
    const w = await workspace();
    const { json: list } = await w.call("/lists", "POST", { name: "Typed" });
    const attributes = {
      age: 70,
      score: -3.5,
      vip: true,
      off: false,
      zip: "02134",
      count: "70",
      none: null,
      nested: { tags: ["a", 1, false] },
    };
    const res = await w.call(`/lists/${list.id}/subscribers`, "POST", { subscribers: [{ email: "typed@example.com", attributes }] });
    expect(res.json).toMatchObject({ created: 1 });
    const [sub] = (await w.call("/subscribers?email=typed@example.com")).json.data;
    expect(sub.attributes).toStrictEqual(attributes);
  });

  it("never resubscribes an unsubscribed address through an upsert", async () => {
    const w = await workspace();
    const { json: list } = await w.call("/lists", "POST", { name: "A" });
    await w.call(`/lists/${list.id}/subscribers`, "POST", { subscribers: [{ email: "gone@example.com" }] });
    const [sub] = (await w.call("/subscribers?email=gone@example.com")).json.data;
    await w.call(`/subscribers/${sub.id}`, "PATCH", { status: "unsubscribed" });
    const { json: other } = await w.call("/lists", "POST", { name: "B" });
    const res = await w.call(`/lists/${other.id}/subscribers`, "POST", { subscribers: [{ email: "gone@example.com", name: "Back?" }] });
    expect(res.json).toMatchObject({ created: 0, updated: 1 });
    expect((await w.call(`/subscribers/${sub.id}`)).json).toMatchObject({
      status: "unsubscribed",
      unsubscribe_source: "api",
      name: "Back?",
    });
  });

  it("validates bulk rows and list input with field paths, changing nothing", async () => {
    const w = await workspace();
    const { json: list } = await w.call("/lists", "POST", { name: "A" });
    const tooMany = await w.call(`/lists/${list.id}/subscribers`, "POST", {
      subscribers: Array.from({ length: 1001 }, (_, i) => ({ email: `u${i}@x.io` })),
    });
    expect(tooMany.status).toBe(422);
    expect(tooMany.json.errors[0].path).toBe("subscribers");
    const badRow = await w.call(`/lists/${list.id}/subscribers`, "POST", { subscribers: [{ email: "a@b.co", attributes: "nope" }] });
    expect(badRow.json.errors[0].path).toBe("subscribers.0.attributes");
    expect((await w.call(`/lists/${list.id}`)).json.subscriber_count).toBe(0);
    expect((await w.call("/lists", "POST", { name: "" })).json.errors[0].path).toBe("name");
    expect((await w.call("/lists/lst_nope/subscribers", "POST", { subscribers: [{ email: "a@b.co" }] })).status).toBe(404);
  });

  it("lists, filters, updates, removes from a list and deletes subscribers", async () => {
    const w = await seeded();
    const page1 = await w.call("/subscribers?limit=2");
    expect(page1.json.data).toHaveLength(2);
    const page2 = await w.call(`/subscribers?limit=2&cursor=${page1.json.next_cursor}`);
    expect(page2.json.data[0].id > page1.json.data[1].id).toBe(true);
    expect((await w.call(`/subscribers?list_id=${w.list.id}&limit=100`)).json.data).toHaveLength(5);
    expect((await w.call("/subscribers?email=Margaret@NASA.gov")).json.data).toHaveLength(1);
    expect((await w.call("/subscribers?email=margaret@nasa.org")).json.data).toHaveLength(0);

    await w.call("/categories", "POST", { slug: "marketing", name: "Marketing" });
    const ada = w.idOf("ada@acme.io");
    const updated = await w.call(`/subscribers/${ada}`, "PATCH", {
      frequency: "weekly",
      preferences: { marketing: false },
      name: "Ada L.",
    });
    expect(updated.json).toMatchObject({ frequency: "weekly", preferences: { marketing: false }, name: "Ada L." });
    const reenabled = await w.call(`/subscribers/${ada}`, "PATCH", { preferences: { marketing: true } });
    expect(reenabled.json.preferences).toEqual({ marketing: true });
    expect((await w.call(`/subscribers/${ada}`, "PATCH", { preferences: { unknown: true } })).status).toBe(422);
    expect((await w.call(`/subscribers/${ada}`, "PATCH", { status: "bounced" })).status).toBe(422);

    expect((await w.call(`/lists/${w.list.id}/subscribers/${ada}`, "DELETE")).status).toBe(204);
    expect((await w.call(`/lists/${w.list.id}/subscribers/${ada}`, "DELETE")).status).toBe(404);
    expect((await w.call(`/lists/${w.list.id}`)).json.subscriber_count).toBe(4);
    expect((await w.call(`/subscribers/${ada}`, "DELETE")).status).toBe(204);
    expect((await w.call(`/subscribers/${ada}`)).status).toBe(404);
  });

  it("keeps each workspace's subscribers, lists and suppressions to itself", async () => {
    const a = await seeded();
    const b = await workspace();
    expect((await b.call(`/subscribers/${a.idOf("ada@acme.io")}`)).status).toBe(404);
    expect((await b.call(`/lists/${a.list.id}`)).status).toBe(404);
    expect((await b.call("/audience/preview", "POST", { list_id: a.list.id })).status).toBe(422);
    expect((await b.call("/subscribers")).json.data).toEqual([]);
  });
});

describe("suppressions", () => {
  it("blocks addresses and domains, refuses duplicates and bad input", async () => {
    const w = await workspace();
    const email = await w.call("/suppressions", "POST", { email: " Spam@Example.COM ", note: "asked by phone" });
    expect(email.status).toBe(201);
    expect(email.json).toMatchObject({ email: "spam@example.com", reason: "manual", note: "asked by phone" });
    expect((await w.call("/suppressions", "POST", { email: "SPAM@example.com" })).status).toBe(409);
    const domain = await w.call("/suppressions", "POST", { domain: "Competitor.COM" });
    expect(domain.json).toMatchObject({ domain: "competitor.com", email: null });
    expect((await w.call("/suppressions", "POST", {})).json.errors[0].path).toBe("email");
    expect((await w.call("/suppressions", "POST", { email: "x@y.z", domain: "y.z" })).status).toBe(422);
    expect((await w.call("/suppressions", "POST", { domain: "not a domain" })).json.errors[0].path).toBe("domain");
    expect((await w.call("/suppressions", "POST", { email: "nope" })).json.errors[0].path).toBe("email");
    expect((await w.call("/suppressions")).json.data).toHaveLength(2);
    expect((await w.call(`/suppressions/${domain.json.id}`, "DELETE")).status).toBe(204);
    expect((await w.call("/suppressions")).json.data).toHaveLength(1);
  });

  it("a domain suppression takes a trailing dot, as sending domains do", async () => {
    const w = await workspace();
    const res = await w.call("/suppressions", "POST", { domain: "Spam.Example.org." });
    expect(res.status).toBe(201);
    expect(res.json.domain).toBe("spam.example.org");
    expect((await w.call("/suppressions", "POST", { domain: "spam.example.org" })).status).toBe(409);
    expect((await w.call("/subscribers", "POST", { email: "someone@spam.example.org" })).status).toBe(409);
    expect((await w.call("/suppressions", "POST", { domain: "spam.example.org.." })).json.errors[0].path).toBe("domain");
  });
});

describe("audience filters", () => {
  it("compiles every operator", async () => {
    const w = await seeded();
    const f = (field: string, op: string, value?: unknown) => w.emailsFor({ field, op, value });
    expect(await f("email", "eq", "ADA@acme.io")).toEqual(["ada@acme.io"]);
    expect(await f("email_domain", "eq", "acme.io")).toEqual(["ada@acme.io", "grace@acme.io"]);
    expect(await f("email_domain", "neq", "acme.io")).toEqual(["linus@kernel.org", "margaret@nasa.gov", "o'brien@example.com"]);
    expect(await f("name", "contains", "hop")).toEqual(["grace@acme.io"]);
    expect(await f("name", "starts_with", "lin")).toEqual(["linus@kernel.org"]);
    expect(await f("attributes.seats", "gt", 3)).toEqual(["ada@acme.io", "margaret@nasa.gov"]);
    expect(await f("attributes.seats", "gte", 3)).toEqual(["ada@acme.io", "linus@kernel.org", "margaret@nasa.gov"]);
    expect(await f("attributes.seats", "lt", 3)).toEqual(["grace@acme.io"]);
    expect(await f("attributes.seats", "lte", 3)).toEqual(["grace@acme.io", "linus@kernel.org"]);
    expect(await f("attributes.country", "exists")).toEqual(["ada@acme.io", "grace@acme.io", "margaret@nasa.gov"]);
    expect(await f("attributes.country", "exists", false)).toEqual(["linus@kernel.org", "o'brien@example.com"]);
    expect(await f("attributes.beta", "eq", true)).toEqual(["ada@acme.io"]);
    expect(await f("attributes.plan", "in", ["enterprise", "free"])).toEqual(["grace@acme.io", "margaret@nasa.gov", "o'brien@example.com"]);
    expect(await f("attributes.plan", "neq", "pro")).toEqual(["grace@acme.io", "margaret@nasa.gov", "o'brien@example.com"]);
    expect(await f("status", "eq", "active")).toHaveLength(5);
    expect(await f("created_at", "gt", "2000-01-01T00:00:00Z")).toHaveLength(5);
    expect(await f("created_at", "lt", "2000-01-01T00:00:00Z")).toEqual([]);
  });

  it("combines and, or, not, list membership and engagement", async () => {
    const w = await seeded();
    const { json: vip } = await w.call("/lists", "POST", { name: "VIP" });
    await w.call(`/lists/${vip.id}/subscribers`, "POST", { subscribers: [{ email: "ada@acme.io" }, { email: "linus@kernel.org" }] });
    expect(await w.emailsFor({ list: { op: "member", list_id: vip.id } })).toEqual(["ada@acme.io", "linus@kernel.org"]);
    expect(await w.emailsFor({ list: { op: "not_member", list_id: vip.id } })).toHaveLength(3);
    expect(
      await w.emailsFor({
        or: [
          {
            and: [{ field: "attributes.plan", op: "eq", value: "pro" }, { not: { field: "email_domain", op: "eq", value: "kernel.org" } }],
          },
          { field: "attributes.seats", op: "gt", value: 100 },
        ],
      }),
    ).toEqual(["ada@acme.io", "margaret@nasa.gov"]);

    const now = Date.now();
    const event = (subscriber: string, type: string, daysAgo: number) =>
      env.DB.prepare(
        "insert into tracking_events (id, workspace_id, campaign_id, recipient_id, subscriber_id, event_type, occurred_at) values (?, ?, 'cmp_1', 'rcp_1', ?, ?, ?)",
      ).bind(newId("evt"), w.workspace.id, subscriber, type, new Date(now - daysAgo * 86_400_000).toISOString());
    await env.DB.batch([
      event(w.idOf("ada@acme.io"), "open", 3),
      event(w.idOf("grace@acme.io"), "open", 60),
      event(w.idOf("grace@acme.io"), "click", 2),
    ]);
    expect(await w.emailsFor({ engagement: { op: "opened", within_days: 30 } })).toEqual(["ada@acme.io"]);
    expect(await w.emailsFor({ engagement: { op: "opened", within_days: 90 } })).toEqual(["ada@acme.io", "grace@acme.io"]);
    expect(await w.emailsFor({ engagement: { op: "clicked", within_days: 7 } })).toEqual(["grace@acme.io"]);
    expect(await w.emailsFor({ engagement: { op: "not_opened", within_days: 30 } })).toHaveLength(4);
    const counted = await w.call("/audience/preview", "POST", {
      list_id: vip.id,
      audience_filters: { engagement: { op: "opened", within_days: 30 } },
    });
    expect(counted.json).toMatchObject({ count: 1, active_count: 1 });
  });

  it("keeps hostile strings as data", async () => {
    const w = await seeded();
    expect(await w.emailsFor({ field: "name", op: "eq", value: "Robert'); DROP TABLE subscribers;--" })).toEqual(["o'brien@example.com"]);
    expect(await w.emailsFor({ field: "email", op: "contains", value: "' OR 1=1 --" })).toEqual([]);
    expect(await w.emailsFor({ field: "name", op: "contains", value: "%" })).toEqual([]);
    expect(await w.emailsFor({ field: "attributes.plan", op: "in", value: ["x') OR 1=1 --", "pro"] })).toEqual([
      "ada@acme.io",
      "linus@kernel.org",
    ]);
    expect((await w.call("/subscribers?limit=100")).json.data).toHaveLength(5);
  });

  it("handles D1's 100-parameter limit: long in-lists work, oversized filters get a 422", async () => {
    const w = await seeded();
    const many = Array.from({ length: 900 }, (_, i) => `user${i}@acme.io`).concat(["grace@acme.io"]);
    expect(await w.emailsFor({ field: "email", op: "in", value: many })).toEqual(["grace@acme.io"]);
    const huge = {
      or: Array.from({ length: 2 }, () => ({
        and: Array.from({ length: 50 }, (_, i) => ({ field: "email", op: "neq", value: `x${i}@y.z` })),
      })),
    };
    const res = await w.call("/audience/preview", "POST", { audience_filters: huge });
    expect(res.status).toBe(422);
    expect(res.json.errors[0].path).toBe("audience_filters");
  });

  it("names the bad path of an invalid filter", async () => {
    const w = await seeded();
    const bad = async (audience_filters: unknown) => (await w.call("/audience/preview", "POST", { audience_filters })).json;
    expect(
      (
        await bad({
          and: [
            { field: "email", op: "eq", value: "a" },
            { field: "nope", op: "eq", value: 1 },
          ],
        })
      ).errors.map((e: { path: string }) => e.path),
    ).toContain("audience_filters.and.1.field");
    expect((await bad({ field: "email", op: "between", value: 1 })).errors.map((e: { path: string }) => e.path)).toContain(
      "audience_filters.op",
    );
    expect((await bad({ field: "email", op: "in", value: "a" })).errors.map((e: { path: string }) => e.path)).toContain(
      "audience_filters.value",
    );
    expect((await bad({ field: "status", op: "eq", value: "sleepy" })).errors.map((e: { path: string }) => e.path)).toContain(
      "audience_filters.value",
    );
    expect((await bad({ field: "attributes.a b", op: "eq", value: 1 })).errors.map((e: { path: string }) => e.path)).toContain(
      "audience_filters.field",
    );
  });
});
