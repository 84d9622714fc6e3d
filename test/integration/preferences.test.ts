import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import {
  keyId,
  preferencesUrl,
  type SigningKeys,
  signPreferenceToken,
  unsubscribeUrl,
  verifyPreferenceToken,
} from "../../src/domain/preferences/tokens";
import { api, createWorkspace } from "../factories/api";

const KEYS: SigningKeys = { TRACKING_SIGNING_KEY: env.TRACKING_SIGNING_KEY };
const HTML = { accept: "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8" };
const JSON_ACCEPT = { accept: "application/json" };
const FORM = { "content-type": "application/x-www-form-urlencoded" };

interface SubscriberRow {
  id: string;
  preference_token: string;
}

interface Audience {
  ws: string;
  key: string;
  subscriber: SubscriberRow;
  token: string;
}

/** A workspace with two categories and one subscriber, all through the public API; the token minted like a send would. */
async function audience(email = "jane.doe@example.com", campaignId?: string): Promise<Audience> {
  const { workspace, key } = await createWorkspace({ name: "Acme Newsletters", postal_address: "1 Main St, Springfield" });
  const ws = workspace.id as string;
  for (const category of [
    { slug: "product_updates", name: "Product updates", description: "New features and releases" },
    { slug: "marketing", name: "Offers", description: "Promotions and discounts" },
  ]) {
    const res = await api(`/workspaces/${ws}/email-marketing/categories`, { method: "POST", token: key, body: category });
    expect(res.status).toBe(201);
  }
  const list = await api(`/workspaces/${ws}/email-marketing/lists`, { method: "POST", token: key, body: { name: "Newsletter" } });
  expect(list.status).toBe(201);
  const added = await api(`/workspaces/${ws}/email-marketing/lists/${list.json.id}/subscribers`, {
    method: "POST",
    token: key,
    body: { subscribers: [{ email, name: "Jane" }] },
  });
  expect(added.json.created).toBe(1);
  const subscriber = await subscriberRow(ws, email);
  const token = await signPreferenceToken(KEYS, {
    workspaceId: ws,
    subscriberId: subscriber.id,
    preferenceToken: subscriber.preference_token,
    campaignId: campaignId ?? null,
  });
  return { ws, key, subscriber, token };
}

/** The preference_token is never returned by the API (it is a secret), so the test reads it like the send path would. */
async function subscriberRow(ws: string, email: string): Promise<SubscriberRow> {
  const row = await env.DB.prepare("select id, preference_token from subscribers where workspace_id = ? and email = ?")
    .bind(ws, email)
    .first<SubscriberRow>();
  if (!row) throw new Error(`no subscriber ${email}`);
  return row;
}

const adminView = async (a: Audience) =>
  (await api(`/workspaces/${a.ws}/email-marketing/subscribers/${a.subscriber.id}`, { token: a.key })).json;

async function changes(subscriberId: string) {
  const { results } = await env.DB.prepare(
    "select action, source, campaign_id, details from subscription_changes where subscriber_id = ? order by created_at, rowid",
  )
    .bind(subscriberId)
    .all<{ action: string; source: string; campaign_id: string | null; details: string | null }>();
  return results.map((r) => ({ ...r, details: r.details ? JSON.parse(r.details) : null }));
}

/** The exact request a mailbox provider sends for RFC 8058 one-click: POST, form-encoded, no cookies. */
const oneClick = (token: string) =>
  api(`/preferences/${token}/unsubscribe`, { method: "POST", headers: FORM, rawBody: "List-Unsubscribe=One-Click" });

/** Changes one character in the middle of the token, keeping it valid base64url. */
function flipOneChar(token: string, at = Math.floor(token.length / 2)): string {
  const replacement = token[at] === "A" ? "B" : "A";
  return token.slice(0, at) + replacement + token.slice(at + 1);
}

describe("preference tokens", () => {
  it("round-trip the workspace, subscriber, preference token and campaign, and show none of them", async () => {
    const claims = {
      workspaceId: "ws_01JD8Z6W3B2C4D5E6F7G8H9J0K",
      subscriberId: "sub_01JD8Z6W3B2C4D5E6F7G8H9J0K",
      preferenceToken: "p".repeat(24),
      campaignId: "cmp_42",
    };
    const token = await signPreferenceToken(KEYS, claims);
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(token.length).toBeLessThan(256);
    expect(await verifyPreferenceToken(KEYS, token)).toEqual(claims);
    expect(await signPreferenceToken(KEYS, claims)).toBe(token); // deterministic: stable links
    for (const secret of ["ws_01JD8Z6W3B2C4D5E6F7G8H9J0K", "01JD8Z6W3B2C4D5E6F7G8H9J0K", "cmp_42", "pppp"]) {
      expect(token).not.toContain(secret);
      expect(atob(token.replace(/-/g, "+").replace(/_/g, "/"))).not.toContain(secret);
    }
    const noCampaign = await signPreferenceToken(KEYS, { ...claims, campaignId: null });
    expect(await verifyPreferenceToken(KEYS, noCampaign)).toEqual({ ...claims, campaignId: null });
  });

  it("carry the key id (first 8 hex of the key's SHA-256) and verify with a retired key after rotation", async () => {
    const claims = { workspaceId: "ws_1", subscriberId: "sub_1", preferenceToken: "secret", campaignId: null };
    const oldKey = "an-old-signing-key-0123456789abcdefghij";
    const token = await signPreferenceToken({ TRACKING_SIGNING_KEY: oldKey }, claims);
    const kid = await keyId(oldKey);
    expect(kid).toMatch(/^[0-9a-f]{8}$/);
    const bytes = Uint8Array.from(atob(token.replace(/-/g, "+").replace(/_/g, "/")), (ch) => ch.charCodeAt(0));
    expect([...bytes.subarray(1, 5)].map((b) => b.toString(16).padStart(2, "0")).join("")).toBe(kid);

    expect(await verifyPreferenceToken(KEYS, token)).toBeNull();
    const rotated = {
      TRACKING_SIGNING_KEY: env.TRACKING_SIGNING_KEY,
      TRACKING_SIGNING_KEYS_OLD: `some-other-key-xxxxxxxxxxxxxxxxxxxxxxx, ${oldKey}`,
    };
    expect(await verifyPreferenceToken(rotated, token)).toEqual(claims);
    // New tokens are always signed with the current key.
    const fresh = await signPreferenceToken(rotated, claims);
    expect(await verifyPreferenceToken(KEYS, fresh)).toEqual(claims);
  });

  it("refuse every altered, truncated, extended or made-up token", async () => {
    const token = await signPreferenceToken(KEYS, {
      workspaceId: "ws_1",
      subscriberId: "sub_1",
      preferenceToken: "secret",
      campaignId: null,
    });
    for (let at = 0; at < token.length; at++) {
      expect(await verifyPreferenceToken(KEYS, flipOneChar(token, at)), `flipped char ${at}`).toBeNull();
    }
    for (const bad of [
      token.slice(0, -1),
      `${token}A`,
      `${token}=`,
      token.slice(0, 20),
      "",
      "not a token",
      "A".repeat(200),
      "x".repeat(10_000),
    ]) {
      expect(await verifyPreferenceToken(KEYS, bad)).toBeNull();
    }
  });

  it("build absolute preference and one-click URLs from PUBLIC_BASE_URL", async () => {
    const target = { workspaceId: "ws_1", subscriber: { id: "sub_1", preference_token: "secret" }, campaignId: "cmp_1" };
    const page = await preferencesUrl({ ...KEYS, PUBLIC_BASE_URL: "https://mail.example.com/" }, target);
    const unsubscribe = await unsubscribeUrl({ ...KEYS, PUBLIC_BASE_URL: "https://mail.example.com" }, target);
    expect(page).toMatch(/^https:\/\/mail\.example\.com\/preferences\/[A-Za-z0-9_-]+$/);
    expect(unsubscribe).toBe(`${page}/unsubscribe`);
    const token = page.split("/").pop() as string;
    expect(await verifyPreferenceToken(KEYS, token)).toMatchObject({ subscriberId: "sub_1", campaignId: "cmp_1" });
  });
});

describe("GET /preferences/{token}", () => {
  it("renders an accessible, script-free page for phones with the workspace, masked email, categories and frequency", async () => {
    const a = await audience();
    const res = await api(`/preferences/${a.token}`, { headers: HTML });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.get("referrer-policy")).toBe("no-referrer");
    expect(res.headers.get("content-security-policy")).toContain("default-src 'none'");
    const html = res.text;
    expect(html.startsWith("<!DOCTYPE html>")).toBe(true);
    expect(html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1"/>');
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/\son[a-z]+=/i); // no inline event handlers either
    expect(html).toContain("Acme Newsletters");
    expect(html).toContain("j•••e@example.com");
    expect(html).not.toContain("jane.doe@example.com");
    expect(html).not.toContain(a.subscriber.id);
    expect(html).not.toContain(a.ws);

    // Every visible control has a label pointing at it.
    const ids = [...html.matchAll(/<(?:input|select)\b(?![^>]*type="hidden")[^>]*\bid="([^"]+)"/g)].map((m) => m[1]);
    const controls = [...html.matchAll(/<(?:input|select|textarea)\b(?![^>]*type="hidden")[^>]*>/g)];
    expect(ids).toHaveLength(controls.length);
    expect(ids).toEqual(["category-marketing", "category-product_updates", "frequency"]);
    for (const id of ids) expect(html).toMatch(new RegExp(`<label\\b[^>]*\\bfor="${id}"`));
    expect(html).toMatch(/<input type="checkbox" id="category-marketing" name="category" value="marketing" checked=""/);
    expect(html).toMatch(/<option value="immediate" selected="">/);
    expect(html).toContain(">Save preferences</button>");
    expect(html).toContain(`action="/preferences/${a.token}/unsubscribe"`);
    expect(html).toContain(">Unsubscribe from all</button>");
    expect(html).toContain("1 Main St, Springfield");
  });

  it("answers JSON to a client that does not accept HTML", async () => {
    const a = await audience();
    const res = await api(`/preferences/${a.token}`, { headers: JSON_ACCEPT });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(res.json).toEqual({
      workspace_name: "Acme Newsletters",
      email: "j•••e@example.com",
      status: "active",
      frequency: "immediate",
      categories: [
        { slug: "marketing", name: "Offers", description: "Promotions and discounts", subscribed: true },
        { slug: "product_updates", name: "Product updates", description: "New features and releases", subscribed: true },
      ],
    });
  });

  it("never unsubscribes or changes anything, however often a link scanner follows it", async () => {
    const a = await audience();
    for (const path of [`/preferences/${a.token}`, `/preferences/${a.token}/unsubscribe`, `/preferences/${a.token}/resubscribe`]) {
      for (const headers of [HTML, JSON_ACCEPT, {}]) await api(path, { headers });
      await api(`${path}?List-Unsubscribe=One-Click`);
    }
    const head = await api(`/preferences/${a.token}/unsubscribe`, { method: "HEAD" });
    expect(head.status).toBe(404);
    const sub = await adminView(a);
    expect(sub.status).toBe("active");
    expect(sub.unsubscribed_at).toBeNull();
    expect(await changes(a.subscriber.id)).toEqual([]);
  });
});

describe("invalid tokens", () => {
  it("get the same 404 whatever is wrong: made up, altered, another key, deleted subscriber, rotated preference token", async () => {
    const a = await audience();
    const b = await audience("someone@example.org");
    const otherKey = await signPreferenceToken(
      { TRACKING_SIGNING_KEY: "a-completely-different-signing-key-012345" },
      { workspaceId: a.ws, subscriberId: a.subscriber.id, preferenceToken: a.subscriber.preference_token, campaignId: null },
    );
    const wrongPreferenceToken = await signPreferenceToken(KEYS, {
      workspaceId: a.ws,
      subscriberId: a.subscriber.id,
      preferenceToken: "guessed-preference-token",
      campaignId: null,
    });
    const deleted = await api(`/workspaces/${b.ws}/email-marketing/subscribers/${b.subscriber.id}`, { method: "DELETE", token: b.key });
    expect(deleted.status).toBe(204);

    const bad = [
      "not-a-token",
      "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
      flipOneChar(a.token),
      otherKey,
      wrongPreferenceToken,
      b.token,
    ];
    const bodies = new Set<string>();
    const pages = new Set<string>();
    for (const token of bad) {
      for (const [method, path] of [
        ["GET", ""],
        ["POST", ""],
        ["POST", "/unsubscribe"],
        ["POST", "/resubscribe"],
      ] as const) {
        const body = method === "POST" && path !== "/resubscribe" ? { rawBody: "List-Unsubscribe=One-Click", headers: FORM } : {};
        const res = await api(`/preferences/${token}${path}`, { method, ...body, headers: { ...body.headers, ...JSON_ACCEPT } });
        expect(res.status, `${method} ${path} with ${token}`).toBe(404);
        expect(res.headers.get("content-type")).toBe("application/problem+json");
        bodies.add(res.text);
      }
      const page = await api(`/preferences/${token}`, { headers: HTML });
      expect(page.status).toBe(404);
      expect(page.headers.get("content-type")).toMatch(/^text\/html/);
      pages.add(page.text);
    }
    expect(bodies.size).toBe(1);
    expect(JSON.parse([...bodies][0])).toEqual({
      type: "urn:flarecast:problem:not_found",
      title: "Not found",
      status: 404,
      detail: "This preferences link is not valid",
    });
    expect(pages.size).toBe(1);
    expect([...pages][0]).toContain("This link is not valid");
    expect((await adminView(a)).status).toBe("active");
    expect(await changes(a.subscriber.id)).toEqual([]);
  });

  it("a token naming workspace A never reaches a subscriber of workspace B", async () => {
    const a = await audience("alice@example.com");
    const b = await audience("bob@example.com");
    // Validly signed, but pairing A's workspace with B's subscriber (and the other way round).
    for (const [ws, sub] of [
      [a.ws, b.subscriber],
      [b.ws, a.subscriber],
    ] as const) {
      const crossed = await signPreferenceToken(KEYS, {
        workspaceId: ws,
        subscriberId: sub.id,
        preferenceToken: sub.preference_token,
        campaignId: null,
      });
      expect((await oneClick(crossed)).status).toBe(404);
      const post = await api(`/preferences/${crossed}`, {
        method: "POST",
        body: { frequency: "monthly", categories: { marketing: false } },
      });
      expect(post.status).toBe(404);
    }
    for (const x of [a, b]) {
      const sub = await adminView(x);
      expect(sub).toMatchObject({ status: "active", frequency: "immediate", preferences: { marketing: true, product_updates: true } });
      expect(await changes(x.subscriber.id)).toEqual([]);
    }
    // A's own token changes A only.
    expect((await oneClick(a.token)).status).toBe(200);
    expect((await adminView(a)).status).toBe("unsubscribed");
    expect((await adminView(b)).status).toBe("active");
  });
});

describe("POST /preferences/{token}", () => {
  it("saves a form post: ticked boxes stay, shown but unticked ones are opted out, frequency changes", async () => {
    const a = await audience();
    const res = await api(`/preferences/${a.token}`, {
      method: "POST",
      headers: { ...FORM, ...HTML },
      rawBody: "shown=marketing&shown=product_updates&category=product_updates&frequency=weekly",
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    expect(res.text).toContain("Your preferences are saved");
    expect(res.text).toMatch(/<option value="weekly" selected="">/);
    expect(res.text).not.toMatch(/id="category-marketing"[^>]*checked/);

    const sub = await adminView(a);
    expect(sub).toMatchObject({ status: "active", frequency: "weekly", preferences: { marketing: false, product_updates: true } });
    expect(await changes(a.subscriber.id)).toEqual([
      {
        action: "preferences_updated",
        source: "preference_center",
        campaign_id: null,
        details: { categories: { marketing: false }, frequency: { from: "immediate", to: "weekly" } },
      },
    ]);
  });

  it("answers the page to a form post without an Accept header, and opts out of every shown box left unticked", async () => {
    const a = await audience();
    const res = await api(`/preferences/${a.token}`, {
      method: "POST",
      headers: FORM,
      rawBody: "shown=marketing&shown=product_updates&frequency=immediate",
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    expect((await adminView(a)).preferences).toEqual({ marketing: false, product_updates: false });
    // Ticking one back on; a stale form's unknown category is ignored.
    await api(`/preferences/${a.token}`, {
      method: "POST",
      headers: FORM,
      rawBody: "shown=marketing&shown=gone&category=marketing&category=gone",
    });
    expect((await adminView(a)).preferences).toEqual({ marketing: true, product_updates: false });
  });

  it("saves a JSON post and answers JSON with the new state", async () => {
    const a = await audience("json@example.com", "cmp_spring_sale");
    const res = await api(`/preferences/${a.token}`, { method: "POST", body: { categories: { marketing: false }, frequency: "monthly" } });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      status: "active",
      frequency: "monthly",
      categories: [
        expect.objectContaining({ slug: "marketing", subscribed: false }),
        expect.objectContaining({ slug: "product_updates", subscribed: true }),
      ],
    });
    expect(await adminView(a)).toMatchObject({ frequency: "monthly", preferences: { marketing: false, product_updates: true } });
    const [change] = await changes(a.subscriber.id);
    expect(change).toMatchObject({ action: "preferences_updated", source: "preference_center", campaign_id: "cmp_spring_sale" });

    // Unchanged values write no audit row.
    await api(`/preferences/${a.token}`, { method: "POST", body: { categories: { marketing: false }, frequency: "monthly" } });
    expect(await changes(a.subscriber.id)).toHaveLength(1);
  });

  it("refuses unknown categories, bad frequencies and unknown fields in JSON with 422, changing nothing", async () => {
    const a = await audience();
    const unknown = await api(`/preferences/${a.token}`, { method: "POST", body: { categories: { nope: false }, frequency: "weekly" } });
    expect(unknown.status).toBe(422);
    expect(unknown.json.errors[0]).toMatchObject({ location: "body", path: "categories.nope" });
    const freq = await api(`/preferences/${a.token}`, { method: "POST", body: { frequency: "hourly" } });
    expect(freq.status).toBe(422);
    const extra = await api(`/preferences/${a.token}`, { method: "POST", body: { status: "active" } });
    expect(extra.status).toBe(422);
    expect(await adminView(a)).toMatchObject({ frequency: "immediate", preferences: { marketing: true, product_updates: true } });
  });

  it("saves many categories at once (more rows than one D1 statement can bind)", async () => {
    const a = await audience();
    const slugs = Array.from({ length: 30 }, (_, i) => `topic_${String(i).padStart(2, "0")}`);
    for (const slug of slugs) {
      await api(`/workspaces/${a.ws}/email-marketing/categories`, { method: "POST", token: a.key, body: { slug, name: `Topic ${slug}` } });
    }
    const all = [...slugs, "marketing", "product_updates"];
    const res = await api(`/preferences/${a.token}`, { method: "POST", headers: FORM, rawBody: all.map((s) => `shown=${s}`).join("&") });
    expect(res.status).toBe(200);
    const prefs = (await adminView(a)).preferences;
    expect(Object.values(prefs)).toHaveLength(32);
    expect(Object.values(prefs).every((subscribed) => subscribed === false)).toBe(true);
    expect(Object.keys((await changes(a.subscriber.id))[0].details.categories)).toHaveLength(32);
  });

  it("does not resubscribe an unsubscribed subscriber by saving preferences", async () => {
    const a = await audience();
    await oneClick(a.token);
    const res = await api(`/preferences/${a.token}`, { method: "POST", body: { frequency: "daily" } });
    expect(res.json).toMatchObject({ status: "unsubscribed", frequency: "daily" });
  });
});

describe("POST /preferences/{token}/unsubscribe", () => {
  it("honours the exact RFC 8058 one-click request at once, with a short plain-text answer and source link", async () => {
    const a = await audience("oneclick@example.com", "cmp_newsletter_42");
    const res = await oneClick(a.token);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
    expect(res.headers.get("set-cookie")).toBeNull();
    expect(res.text).toBe("You have been unsubscribed from all email from Acme Newsletters.");

    const sub = await adminView(a);
    expect(sub.status).toBe("unsubscribed");
    expect(sub.unsubscribe_source).toBe("link");
    expect(Date.parse(sub.unsubscribed_at)).toBeGreaterThan(Date.now() - 60_000);
    expect(await changes(a.subscriber.id)).toEqual([
      { action: "unsubscribed", source: "link", campaign_id: "cmp_newsletter_42", details: { method: "one_click" } },
    ]);
  });

  it("accepts the one-click body as multipart/form-data too", async () => {
    const a = await audience();
    const form = new FormData();
    form.set("List-Unsubscribe", "One-Click");
    const request = new Request(`http://flarecast.test/preferences/${a.token}/unsubscribe`, { method: "POST", body: form });
    const res = await api(`/preferences/${a.token}/unsubscribe`, {
      method: "POST",
      headers: { "content-type": request.headers.get("content-type") as string },
      rawBody: await request.text(),
    });
    expect(res.status).toBe(200);
    expect((await adminView(a)).unsubscribe_source).toBe("link");
  });

  it("is idempotent: a second request keeps the first time and source and records nothing more", async () => {
    const a = await audience();
    await oneClick(a.token);
    const first = await adminView(a);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const again = await api(`/preferences/${a.token}/unsubscribe`, { method: "POST", headers: { ...FORM, ...HTML }, rawBody: "" });
    expect(again.status).toBe(200);
    expect(await oneClick(a.token)).toMatchObject({ status: 200 });
    const second = await adminView(a);
    expect(second.unsubscribed_at).toBe(first.unsubscribed_at);
    expect(second.unsubscribe_source).toBe("link");
    expect(await changes(a.subscriber.id)).toHaveLength(1);
  });

  it("records one change when requests race", async () => {
    const a = await audience();
    const results = await Promise.all(Array.from({ length: 5 }, () => oneClick(a.token)));
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(await changes(a.subscriber.id)).toHaveLength(1);
  });

  it("from the page's button: an HTML confirmation with a Resubscribe button, source preference_center", async () => {
    const a = await audience("page@example.com", "cmp_7");
    const res = await api(`/preferences/${a.token}/unsubscribe`, { method: "POST", headers: { ...FORM, ...HTML }, rawBody: "" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    expect(res.text).toContain("You are unsubscribed");
    expect(res.text).toContain(`action="/preferences/${a.token}/resubscribe"`);
    expect(res.text).toContain(">Resubscribe</button>");
    expect(res.text).not.toContain(">Save preferences</button>");
    expect(await adminView(a)).toMatchObject({ status: "unsubscribed", unsubscribe_source: "preference_center" });
    expect(await changes(a.subscriber.id)).toEqual([
      { action: "unsubscribed", source: "preference_center", campaign_id: "cmp_7", details: { method: "preference_center" } },
    ]);
    // The GET page shows the same state.
    const page = await api(`/preferences/${a.token}`, { headers: HTML });
    expect(page.text).toContain("You are unsubscribed");
  });

  it("answers JSON to a JSON client", async () => {
    const a = await audience();
    const res = await api(`/preferences/${a.token}/unsubscribe`, { method: "POST", body: {} });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ status: "unsubscribed" });
  });
});

describe("POST /preferences/{token}/resubscribe", () => {
  it("resubscribes an unsubscribed subscriber, keeps their categories and records it", async () => {
    const a = await audience();
    await api(`/preferences/${a.token}`, { method: "POST", body: { categories: { marketing: false } } });
    await oneClick(a.token);
    const res = await api(`/preferences/${a.token}/resubscribe`, { method: "POST", headers: { ...FORM, ...HTML }, rawBody: "" });
    expect(res.status).toBe(200);
    expect(res.text).toContain("you are subscribed again");
    expect(res.text).toContain(">Save preferences</button>");
    const sub = await adminView(a);
    expect(sub).toMatchObject({ status: "active", unsubscribed_at: null, unsubscribe_source: null, preferences: { marketing: false } });
    expect((await changes(a.subscriber.id)).map((c) => [c.action, c.source])).toEqual([
      ["preferences_updated", "preference_center"],
      ["unsubscribed", "link"],
      ["resubscribed", "preference_center"],
    ]);
    // Already active: nothing more happens.
    expect((await api(`/preferences/${a.token}/resubscribe`, { method: "POST", headers: JSON_ACCEPT })).json.status).toBe("active");
    expect(await changes(a.subscriber.id)).toHaveLength(3);
  });

  it("refuses bounced and complained addresses (409), which the page explains without a Resubscribe button", async () => {
    for (const status of ["bounced", "complained"] as const) {
      const a = await audience(`${status}@example.com`);
      await env.DB.prepare("update subscribers set status = ? where id = ?").bind(status, a.subscriber.id).run();
      const page = await api(`/preferences/${a.token}`, { headers: HTML });
      expect(page.text).toContain("Email to this address has stopped");
      expect(page.text).not.toContain("<button");

      const json = await api(`/preferences/${a.token}/resubscribe`, { method: "POST", headers: JSON_ACCEPT });
      expect(json.status).toBe(409);
      expect(json.json.type).toBe("urn:flarecast:problem:conflict");
      const html = await api(`/preferences/${a.token}/resubscribe`, { method: "POST", headers: { ...FORM, ...HTML }, rawBody: "" });
      expect(html.status).toBe(409);
      expect(html.text).toContain("cannot be resubscribed");

      // A one-click unsubscribe leaves the stronger state alone.
      expect((await oneClick(a.token)).status).toBe(200);
      expect((await adminView(a)).status).toBe(status);
      expect(await changes(a.subscriber.id)).toEqual([]);
    }
  });
});

describe("the OpenAPI document", () => {
  it("lists the preference center as public operations with HTML and JSON answers", async () => {
    const { json } = await api("/openapi.json");
    const get = json.paths["/preferences/{token}"].get;
    expect(get.security).toEqual([]);
    expect(Object.keys(get.responses["200"].content)).toEqual(["text/html", "application/json"]);
    expect(get.responses["404"].content).toHaveProperty("application/problem+json");
    const unsubscribe = json.paths["/preferences/{token}/unsubscribe"].post;
    expect(unsubscribe.security).toEqual([]);
    expect(unsubscribe.requestBody.content).toHaveProperty("application/x-www-form-urlencoded");
    expect(json.paths["/preferences/{token}"].post.requestBody.content).toHaveProperty("application/json");
    expect(json.paths["/preferences/{token}/resubscribe"].post.security).toEqual([]);
  });
});
