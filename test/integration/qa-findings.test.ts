import { describe, expect, it } from "vitest";
import { api, createWorkspace } from "../factories/api";
import { insertDomain } from "../factories/infrastructure";

// Each test states what a user should get; it.fails marks what the product does not do yet.
// When a finding is fixed its test starts passing, vitest reports the it.fails as failed,
// and the fix's author turns it into a plain `it`.

const marketing = (ws: string, path: string) => `/workspaces/${ws}/email-marketing/${path}`;
const infra = (ws: string, path: string) => `/workspaces/${ws}/email-infrastructure/${path}`;
const _pathOf = (url: string) => new URL(url).pathname;

describe("QA findings", () => {
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

  it.fails("one IPv6 address written two ways is one dedicated IP", async () => {
    const { workspace, key } = await createWorkspace();
    const first = await api(infra(workspace.id, "dedicated-ips"), { method: "POST", token: key, body: { ip_address: "2001:db8::1" } });
    expect(first.status).toBe(201);
    const second = await api(infra(workspace.id, "dedicated-ips"), { method: "POST", token: key, body: { ip_address: "2001:DB8:0:0::1" } });
    expect(second.status).toBe(409);
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
