import { describe, expect, it } from "vitest";
import { ADMIN_TOKEN, api, createWorkspace } from "../factories/api";

describe("POST /workspaces", () => {
  it("creates a workspace with its first API key when the admin token is given", async () => {
    const res = await api("/workspaces", {
      method: "POST",
      token: ADMIN_TOKEN,
      body: { name: "Acme Newsletters", timezone: "Europe/Berlin" },
    });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({
      name: "Acme Newsletters",
      slug: "acme-newsletters",
      timezone: "Europe/Berlin",
      postal_address: null,
    });
    expect(res.json.id).toMatch(/^ws_[0-9A-Z]{26}$/);
    expect(res.json.api_key.key).toMatch(/^fc_[0-9A-Za-z]{40}$/);
    expect(res.json.api_key.prefix).toBe(res.json.api_key.key.slice(0, 11));
    expect(res.json.api_key).not.toHaveProperty("key_hash");

    const read = await api(`/workspaces/${res.json.id}`, { token: res.json.api_key.key });
    expect(read.status).toBe(200);
    expect(read.json.name).toBe("Acme Newsletters");
  });

  it("refuses a request without the admin token", async () => {
    const res = await api("/workspaces", { method: "POST", body: { name: "No token", timezone: "UTC" } });
    expect(res.status).toBe(401);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(res.json).toMatchObject({ type: "urn:flarecast:problem:unauthorized", status: 401 });
  });

  it("refuses a wrong admin token and a workspace API key in its place", async () => {
    const wrong = await api("/workspaces", { method: "POST", token: "not-the-admin-token", body: { name: "x", timezone: "UTC" } });
    expect(wrong.status).toBe(401);
    const { key } = await createWorkspace();
    const withKey = await api("/workspaces", { method: "POST", token: key, body: { name: "x", timezone: "UTC" } });
    expect(withKey.status).toBe(401);
  });

  it("derives a unique slug and refuses a requested slug that is taken", async () => {
    const first = await createWorkspace({ name: "Same Name" });
    const second = await createWorkspace({ name: "Same Name" });
    expect(first.workspace.slug).toBe("same-name");
    expect(second.workspace.slug).toBe("same-name-2");

    const taken = await api("/workspaces", {
      method: "POST",
      token: ADMIN_TOKEN,
      body: { name: "Other", slug: "same-name", timezone: "UTC" },
    });
    expect(taken.status).toBe(409);
    expect(taken.json.type).toBe("urn:flarecast:problem:conflict");
  });

  it("answers 422 naming every invalid field, and creates nothing", async () => {
    const before = await api("/workspaces?limit=100", { token: ADMIN_TOKEN });
    const res = await api("/workspaces", {
      method: "POST",
      token: ADMIN_TOKEN,
      body: { name: "", slug: "Not A Slug", timezone: "Mars/Olympus_Mons" },
    });
    expect(res.status).toBe(422);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(res.json.type).toBe("urn:flarecast:problem:validation_failed");
    const paths = res.json.errors.map((e: { path: string }) => e.path).sort();
    expect(paths).toEqual(["name", "slug", "timezone"]);
    expect(res.json.errors.every((e: { location: string }) => e.location === "body")).toBe(true);
    const after = await api("/workspaces?limit=100", { token: ADMIN_TOKEN });
    expect(after.json.data.length).toBe(before.json.data.length);
  });

  it("refuses raw UTC offsets as time zones", async () => {
    const res = await api("/workspaces", { method: "POST", token: ADMIN_TOKEN, body: { name: "Offset", timezone: "+02:00" } });
    expect(res.status).toBe(422);
    expect(res.json.errors[0]).toMatchObject({ location: "body", path: "timezone" });
  });

  it("answers 400 problem+json to a body that is not JSON", async () => {
    const res = await api("/workspaces", { method: "POST", token: ADMIN_TOKEN, rawBody: '{"name": "Broken",' });
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(res.json).toMatchObject({ type: "urn:flarecast:problem:bad_request", status: 400 });
  });
});

describe("GET /workspaces", () => {
  it("pages through every workspace with a cursor", async () => {
    for (let i = 0; i < 5; i++) await createWorkspace();
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor ? `?limit=2&cursor=${cursor}` : "?limit=2";
      const res = await api(`/workspaces${query}`, { token: ADMIN_TOKEN });
      expect(res.status).toBe(200);
      expect(res.json.data.length).toBeLessThanOrEqual(2);
      seen.push(...res.json.data.map((w: { id: string }) => w.id));
      cursor = res.json.next_cursor;
      pages++;
    } while (cursor);
    expect(pages).toBeGreaterThan(2);
    expect(new Set(seen).size).toBe(seen.length);
    expect([...seen].sort()).toEqual(seen);
  });

  it("rejects an out-of-range limit and a forged cursor with 422 naming the query field", async () => {
    const limit = await api("/workspaces?limit=0", { token: ADMIN_TOKEN });
    expect(limit.status).toBe(422);
    expect(limit.json.errors[0]).toMatchObject({ location: "query", path: "limit" });
    const cursor = await api("/workspaces?cursor=%%%", { token: ADMIN_TOKEN });
    expect(cursor.status).toBe(422);
    expect(cursor.json.errors[0]).toMatchObject({ location: "query", path: "cursor" });
  });
});

describe("PATCH /workspaces/{ws}", () => {
  it("changes name, time zone and postal address, addressed by id or slug", async () => {
    const { workspace, key } = await createWorkspace({ slug: "patch-me" });
    const res = await api("/workspaces/patch-me", {
      method: "PATCH",
      token: key,
      body: { name: "Renamed", timezone: "America/New_York", postal_address: "1 Main St\nSpringfield" },
    });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      id: workspace.id,
      name: "Renamed",
      timezone: "America/New_York",
      postal_address: "1 Main St\nSpringfield",
    });
    expect(res.json.updated_at >= workspace.updated_at).toBe(true);
  });

  it("rejects unknown fields and invalid values without changing anything", async () => {
    const { workspace, key } = await createWorkspace();
    const bad = await api(`/workspaces/${workspace.id}`, { method: "PATCH", token: key, body: { timezone: "Nowhere/City", slug: "x" } });
    expect(bad.status).toBe(422);
    const read = await api(`/workspaces/${workspace.id}`, { token: key });
    const { api_key: _, ...stored } = workspace;
    expect(read.json).toEqual(stored);
    expect(read.json.timezone).toBe("UTC");
    expect(read.json.slug).toBe(workspace.slug);
  });
});
