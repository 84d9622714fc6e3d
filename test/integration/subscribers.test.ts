import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, createWorkspace } from "../factories/api";

const FORM = { "content-type": "application/x-www-form-urlencoded" };

async function workspace() {
  const { workspace, key } = await createWorkspace();
  const call = (path: string, method = "GET", body?: unknown) =>
    api(`/workspaces/${workspace.id}/email-marketing${path}`, { method, token: key, body });
  return { workspace, key, call };
}

async function subscriberIn(w: Awaited<ReturnType<typeof workspace>>, email: string) {
  const { json: list } = await w.call("/lists", "POST", { name: "Newsletter" });
  await w.call(`/lists/${list.id}/subscribers`, "POST", { subscribers: [{ email, name: "Ada" }] });
  return (await w.call(`/subscribers?email=${encodeURIComponent(email)}`)).json.data[0];
}

/** The link's path, checked to be on the public base URL. */
function pathOf(link: string) {
  expect(link.startsWith(`${env.PUBLIC_BASE_URL.replace(/\/+$/, "")}/preferences/`)).toBe(true);
  return new URL(link).pathname;
}

describe("subscriber links", () => {
  it("carries a preference page link that opens the page and a one-click link that unsubscribes", async () => {
    const w = await workspace();
    const listed = await subscriberIn(w, "ada@example.com");
    const got = (await w.call(`/subscribers/${listed.id}`)).json;
    const patched = (await w.call(`/subscribers/${listed.id}`, "PATCH", { name: "Ada L." })).json;
    for (const s of [listed, got, patched]) {
      expect(s.preferences_url).toBe(got.preferences_url);
      expect(s.unsubscribe_url).toBe(got.unsubscribe_url);
    }
    expect(got.unsubscribe_url).toBe(`${got.preferences_url}/unsubscribe`);

    const page = await api(pathOf(got.preferences_url), { headers: { accept: "text/html" } });
    expect(page.status).toBe(200);
    expect(page.text).toContain("Email preferences");
    expect(page.text).toContain(`action="${pathOf(got.unsubscribe_url)}"`);
    expect((await w.call(`/subscribers/${listed.id}`)).json.status).toBe("active");

    const unsubscribed = await api(pathOf(got.unsubscribe_url), { method: "POST", headers: FORM, rawBody: "List-Unsubscribe=One-Click" });
    expect(unsubscribed.status).toBe(200);
    expect((await w.call(`/subscribers/${listed.id}`)).json).toMatchObject({ status: "unsubscribed", unsubscribe_source: "link" });
  });
});

describe("POST .../subscribers", () => {
  it("creates a subscriber in no list, or in the lists given, with a normalized address", async () => {
    const w = await workspace();
    const alone = await w.call("/subscribers", "POST", { email: "  Solo@Example.COM ", name: "Solo", attributes: { age: 70 } });
    expect(alone.status).toBe(201);
    expect(alone.json).toMatchObject({
      email: "solo@example.com",
      name: "Solo",
      status: "active",
      attributes: { age: 70 },
      frequency: "immediate",
    });
    expect(alone.json.preferences_url).toMatch(/\/preferences\//);
    expect((await w.call(`/subscribers/${alone.json.id}`)).json.email).toBe("solo@example.com");

    await w.call("/categories", "POST", { slug: "news", name: "News" });
    const { json: list } = await w.call("/lists", "POST", { name: "Newsletter" });
    const listed = await w.call("/subscribers", "POST", {
      email: "member@example.com",
      list_ids: [list.id],
      frequency: "weekly",
      preferences: { news: false },
    });
    expect(listed.status).toBe(201);
    expect(listed.json).toMatchObject({ frequency: "weekly", preferences: { news: false } });
    expect((await w.call(`/subscribers?list_id=${list.id}`)).json.data.map((s: { email: string }) => s.email)).toEqual([
      "member@example.com",
    ]);
    expect((await w.call(`/lists/${list.id}`)).json.subscriber_count).toBe(1);
  });

  it("refuses a taken, suppressed or erased address (409), an unknown list or category (422), and writes nothing", async () => {
    const w = await workspace();
    const other = await workspace();
    const { json: theirList } = await other.call("/lists", "POST", { name: "Theirs" });
    expect((await w.call("/subscribers", "POST", { email: "taken@example.com" })).status).toBe(201);
    await w.call("/suppressions", "POST", { email: "blocked@example.com" });
    await w.call("/suppressions", "POST", { domain: "blocked.example" });
    const erased = (await w.call("/subscribers", "POST", { email: "erased@example.com" })).json;
    expect((await w.call(`/subscribers/${erased.id}?erase=true`, "DELETE")).status).toBe(204);

    for (const [label, body, status] of [
      ["taken", { email: "TAKEN@example.com" }, 409],
      ["suppressed", { email: "blocked@example.com" }, 409],
      ["suppressed domain", { email: "x@blocked.example" }, 409],
      ["erased", { email: "Erased@example.com" }, 409],
      ["unknown category", { email: "new@example.com", preferences: { ghosts: true } }, 422],
      ["other workspace's list", { email: "new@example.com", list_ids: [theirList.id] }, 422],
      ["invalid", { email: "not-an-email" }, 422],
      ["missing", { name: "No Email" }, 422],
    ] as const) {
      const res = await w.call("/subscribers", "POST", body);
      expect(res.status, label).toBe(status);
      expect(res.headers.get("content-type"), label).toBe("application/problem+json");
    }
    const listError = await w.call("/subscribers", "POST", { email: "new@example.com", list_ids: [theirList.id] });
    expect(listError.json.errors).toEqual([{ location: "body", path: "list_ids.0", message: expect.any(String) }]);
    expect((await w.call("/subscribers", "POST", { email: "nope" })).json.errors[0]).toMatchObject({ path: "email" });
    expect((await w.call("/subscribers?limit=100")).json.data.map((s: { email: string }) => s.email)).toEqual(["taken@example.com"]);
  });
});

describe("PATCH .../subscribers/{id} email", () => {
  it("changes the address, normalized, and refuses one that is taken or suppressed", async () => {
    const w = await workspace();
    const ada = (await w.call("/subscribers", "POST", { email: "ada@example.com" })).json;
    const bob = (await w.call("/subscribers", "POST", { email: "bob@example.com" })).json;
    await w.call("/suppressions", "POST", { email: "blocked@example.com" });

    const moved = await w.call(`/subscribers/${ada.id}`, "PATCH", { email: "  Ada.Lovelace@Example.com " });
    expect(moved.status).toBe(200);
    expect(moved.json.email).toBe("ada.lovelace@example.com");
    expect((await w.call("/subscribers?email=ada.lovelace@example.com")).json.data.map((s: { id: string }) => s.id)).toEqual([ada.id]);
    expect((await w.call("/subscribers?email=ada@example.com")).json.data).toEqual([]);

    expect((await w.call(`/subscribers/${ada.id}`, "PATCH", { email: "ADA.LOVELACE@example.com", name: "Ada" })).json).toMatchObject({
      email: "ada.lovelace@example.com",
      name: "Ada",
    });
    for (const [label, email, status] of [
      ["another subscriber's", "BOB@example.com", 409],
      ["suppressed", "blocked@example.com", 409],
      ["invalid", "nope", 422],
    ] as const) {
      const res = await w.call(`/subscribers/${ada.id}`, "PATCH", { email, name: "Changed" });
      expect(res.status, label).toBe(status);
    }
    expect((await w.call(`/subscribers/${ada.id}`)).json).toMatchObject({ email: "ada.lovelace@example.com", name: "Ada" });
    expect((await w.call(`/subscribers/${bob.id}`)).json.email).toBe("bob@example.com");
  });
});

describe("subscriber preferences over the API", () => {
  it("an unknown category in a subscriber's preferences is a 422 with its path, as in the preference center", async () => {
    const w = await workspace();
    const created = await w.call("/subscribers", "POST", { email: "cat@example.com", preferences: { nosuch: true } });
    expect(created.status).toBe(422);
    expect(created.json.errors[0]).toMatchObject({ location: "body", path: "preferences.nosuch" });
    const existing = (await w.call("/subscribers", "POST", { email: "dog@example.com" })).json;
    const patched = await w.call(`/subscribers/${existing.id}`, "PATCH", { preferences: { nosuch: false } });
    expect(patched.status).toBe(422);
    expect(patched.json.errors[0]).toMatchObject({ location: "body", path: "preferences.nosuch" });
  });

  it("a subscriber PATCH refused for an unknown category changes nothing", async () => {
    const w = await workspace();
    await w.call("/categories", "POST", { name: "Marketing", slug: "marketing" });
    const created = (await w.call("/subscribers", "POST", { email: "half@example.com" })).json;
    expect(created.preferences).toEqual({ marketing: true });
    const refused = await w.call(`/subscribers/${created.id}`, "PATCH", {
      name: "Half",
      status: "unsubscribed",
      preferences: { marketing: false, nosuch: true },
    });
    expect(refused.status).toBe(422);
    expect((await w.call(`/subscribers/${created.id}`)).json).toMatchObject({
      name: null,
      status: "active",
      preferences: { marketing: true },
    });
  });
});

describe("a suppressed subscriber", () => {
  it("a suppressed address cannot be made active again by PATCH status or the preference center", async () => {
    const w = await workspace();
    const created = (await w.call("/subscribers", "POST", { email: "sup@example.com" })).json;
    expect((await w.call("/suppressions", "POST", { email: "sup@example.com" })).status).toBe(201);

    const unsubscribed = await api(pathOf(created.unsubscribe_url), {
      method: "POST",
      headers: FORM,
      rawBody: "List-Unsubscribe=One-Click",
    });
    expect(unsubscribed.status).toBe(200);
    const page = await api(`${pathOf(created.preferences_url)}/resubscribe`, {
      method: "POST",
      headers: { ...FORM, accept: "text/html" },
      rawBody: "",
    });
    expect(page.status).toBe(409);
    expect(page.text).toContain("cannot be resubscribed");
    expect((await w.call(`/subscribers/${created.id}`)).json.status).toBe("unsubscribed");

    const patched = await w.call(`/subscribers/${created.id}`, "PATCH", { status: "active" });
    expect(patched.status).toBe(409);
    expect((await w.call(`/subscribers/${created.id}`)).json.status).toBe("unsubscribed");
  });

  it("in a suppressed domain stays unsubscribed, and comes back once the suppression is lifted", async () => {
    const w = await workspace();
    const created = (await w.call("/subscribers", "POST", { email: "someone@blocked.example" })).json;
    expect((await w.call(`/subscribers/${created.id}`, "PATCH", { status: "unsubscribed" })).status).toBe(200);
    const suppression = (await w.call("/suppressions", "POST", { domain: "blocked.example" })).json;

    expect((await w.call(`/subscribers/${created.id}`, "PATCH", { status: "active" })).status).toBe(409);
    const refused = await api(`${pathOf(created.preferences_url)}/resubscribe`, {
      method: "POST",
      headers: { ...FORM, accept: "application/json" },
      rawBody: "",
    });
    expect(refused.status).toBe(409);
    expect(refused.headers.get("content-type")).toBe("application/problem+json");

    expect((await w.call(`/suppressions/${suppression.id}`, "DELETE")).status).toBe(204);
    expect((await w.call(`/subscribers/${created.id}`, "PATCH", { status: "active" })).json.status).toBe("active");
  });
});

describe("GET .../subscribers?list_id=", () => {
  it("is a 404 for an unknown list or another workspace's list, not an empty page", async () => {
    const w = await workspace();
    const other = await workspace();
    const { json: theirs } = await other.call("/lists", "POST", { name: "Theirs" });
    await other.call(`/lists/${theirs.id}/subscribers`, "POST", { subscribers: [{ email: "their@example.com" }] });
    for (const listId of [theirs.id, "lst_nosuch"]) {
      const res = await w.call(`/subscribers?list_id=${listId}`);
      expect(res.status, listId).toBe(404);
      expect(res.headers.get("content-type"), listId).toBe("application/problem+json");
    }
    const { json: empty } = await w.call("/lists", "POST", { name: "Empty" });
    expect((await w.call(`/subscribers?list_id=${empty.id}`)).json).toEqual({ data: [], next_cursor: null });
  });
});
