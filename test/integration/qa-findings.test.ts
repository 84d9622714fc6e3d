import { describe, expect, it } from "vitest";
import { api, createWorkspace } from "../factories/api";
import { insertDomain } from "../factories/infrastructure";

// Each test states what a user should get; it.fails marks what the product does not do yet.
// When a finding is fixed its test starts passing, vitest reports the it.fails as failed,
// and the fix's author turns it into a plain `it`.

const marketing = (ws: string, path: string) => `/workspaces/${ws}/email-marketing/${path}`;
const infra = (ws: string, path: string) => `/workspaces/${ws}/email-infrastructure/${path}`;
const pathOf = (url: string) => new URL(url).pathname;

describe("QA findings", () => {
  it.fails("a suppressed address cannot be made active again by PATCH status or the preference center", async () => {
    const { workspace, key } = await createWorkspace();
    const created = await api(marketing(workspace.id, "subscribers"), { method: "POST", token: key, body: { email: "sup@example.com" } });
    expect(created.status).toBe(201);
    const suppressed = await api(marketing(workspace.id, "suppressions"), {
      method: "POST",
      token: key,
      body: { email: "sup@example.com" },
    });
    expect(suppressed.status).toBe(201);

    const unsubscribed = await api(pathOf(created.json.unsubscribe_url), {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      rawBody: "List-Unsubscribe=One-Click",
    });
    expect(unsubscribed.status).toBe(200);
    await api(`${pathOf(created.json.preferences_url)}/resubscribe`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      rawBody: "",
    });
    const afterResubscribe = await api(marketing(workspace.id, `subscribers/${created.json.id}`), { token: key });
    expect(afterResubscribe.json.status).toBe("unsubscribed");

    const patched = await api(marketing(workspace.id, `subscribers/${created.json.id}`), {
      method: "PATCH",
      token: key,
      body: { status: "active" },
    });
    expect(patched.status).toBe(409);
  });

  it.fails("deleting a provider that a pool prefers is a 409 naming the pool, as for domains and IPs", async () => {
    const { workspace, key } = await createWorkspace();
    const provider = await api(infra(workspace.id, "providers"), {
      method: "POST",
      token: key,
      body: { name: "Capture", provider_type: "capture", credentials: {} },
    });
    expect(provider.status).toBe(201);
    const routing = { strategy: "priority", preferred_providers: [provider.json.id] };
    const pool = await api(infra(workspace.id, "pools"), { method: "POST", token: key, body: { name: "Main", routing_config: routing } });
    expect(pool.status).toBe(201);

    const deleted = await api(infra(workspace.id, `providers/${provider.json.id}`), { method: "DELETE", token: key });
    expect(deleted.status).toBe(409);
    expect(deleted.json.detail).toContain(pool.json.id);
    const samePool = await api(infra(workspace.id, `pools/${pool.json.id}`), {
      method: "PATCH",
      token: key,
      body: { routing_config: routing },
    });
    expect(samePool.status).toBe(200);
  });

  it.fails("an unknown category in a subscriber's preferences is a 422 with its path, as in the preference center", async () => {
    const { workspace, key } = await createWorkspace();
    const created = await api(marketing(workspace.id, "subscribers"), {
      method: "POST",
      token: key,
      body: { email: "cat@example.com", preferences: { nosuch: true } },
    });
    expect(created.status).toBe(422);
    expect(created.json.errors[0]).toMatchObject({ location: "body", path: "preferences.nosuch" });
  });

  it.fails("one IPv6 address written two ways is one dedicated IP", async () => {
    const { workspace, key } = await createWorkspace();
    const first = await api(infra(workspace.id, "dedicated-ips"), { method: "POST", token: key, body: { ip_address: "2001:db8::1" } });
    expect(first.status).toBe(201);
    const second = await api(infra(workspace.id, "dedicated-ips"), { method: "POST", token: key, body: { ip_address: "2001:DB8:0:0::1" } });
    expect(second.status).toBe(409);
  });

  it.fails("a list's CSV export does not hand spreadsheet formulas to whoever opens it", async () => {
    const { workspace, key } = await createWorkspace();
    const list = await api(marketing(workspace.id, "lists"), { method: "POST", token: key, body: { name: "Export" } });
    await api(marketing(workspace.id, `lists/${list.json.id}/subscribers`), {
      method: "POST",
      token: key,
      body: {
        subscribers: [{ email: "formula@example.com", name: '=HYPERLINK("http://evil.example","x")', attributes: { note: "+1+1" } }],
      },
    });
    const csv = await api(marketing(workspace.id, `lists/${list.json.id}/export`), { token: key });
    expect(csv.status).toBe(200);
    const cells = csv.text
      .split(/\r?\n/)[1]
      .split(",")
      .map((c) => c.replace(/^"/, ""));
    expect(cells.filter((c) => /^[=+\-@]/.test(c))).toEqual([]);
  });

  it.fails("a domain suppression takes a trailing dot, as sending domains do", async () => {
    const { workspace, key } = await createWorkspace();
    const res = await api(marketing(workspace.id, "suppressions"), { method: "POST", token: key, body: { domain: "Spam.Example.org." } });
    expect(res.status).toBe(201);
    expect(res.json.domain).toBe("spam.example.org");
  });

  it.fails("the category list is a cursor page like every other list", async () => {
    const { workspace, key } = await createWorkspace();
    await api(marketing(workspace.id, "categories"), { method: "POST", token: key, body: { name: "News", slug: "news" } });
    const res = await api(marketing(workspace.id, "categories"), { token: key });
    expect(res.status).toBe(200);
    expect(res.json).toHaveProperty("next_cursor");
  });
  it.fails("changing only a pool's members moves its updated_at", async () => {
    const { workspace, key } = await createWorkspace();
    const domain = await insertDomain(workspace.id);
    const pool = await api(infra(workspace.id, "pools"), {
      method: "POST",
      token: key,
      body: { name: "Main", routing_config: { strategy: "priority" }, members: [{ domain_id: domain.id }] },
    });
    expect(pool.status).toBe(201);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const patched = await api(infra(workspace.id, `pools/${pool.json.id}`), { method: "PATCH", token: key, body: { members: [] } });
    expect(patched.status).toBe(200);
    expect(patched.json.members).toEqual([]);
    expect(patched.json.updated_at).not.toBe(pool.json.updated_at);
  });
  it.fails("a subscriber PATCH refused for an unknown category changes nothing", async () => {
    const { workspace, key } = await createWorkspace();
    await api(marketing(workspace.id, "categories"), { method: "POST", token: key, body: { name: "Marketing", slug: "marketing" } });
    const created = await api(marketing(workspace.id, "subscribers"), { method: "POST", token: key, body: { email: "half@example.com" } });
    expect(created.json.preferences).toEqual({ marketing: true });
    const refused = await api(marketing(workspace.id, `subscribers/${created.json.id}`), {
      method: "PATCH",
      token: key,
      body: { preferences: { marketing: false, nosuch: true } },
    });
    expect(refused.status).toBeGreaterThanOrEqual(400);
    const after = await api(marketing(workspace.id, `subscribers/${created.json.id}`), { token: key });
    expect(after.json.preferences).toEqual({ marketing: true });
  });
  it.fails("a domain's SPF and return path follow the providers added after it", async () => {
    const { workspace, key } = await createWorkspace();
    const domain = await api(infra(workspace.id, "domains"), { method: "POST", token: key, body: { domain: "first.example.com" } });
    expect(domain.json.dns_records.spf.value).toBe("v=spf1 mx ~all");
    const ses = await api(infra(workspace.id, "providers"), {
      method: "POST",
      token: key,
      body: {
        name: "SES",
        provider_type: "ses",
        credentials: { access_key_id: "AKIAABCDEFGHIJKLMNOP", secret_access_key: "secret", region: "us-east-1" },
      },
    });
    expect(ses.status).toBe(201);
    const after = await api(infra(workspace.id, `domains/${domain.json.id}`), { token: key });
    expect(after.json.dns_records.spf.value).toContain("include:amazonses.com");
  });
});
