import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ADMIN_TOKEN, api, createWorkspace } from "../factories/api";

describe("workspace API key authentication", () => {
  it("answers 401 problem+json when no key is sent", async () => {
    const { workspace } = await createWorkspace();
    const res = await api(`/workspaces/${workspace.id}`);
    expect(res.status).toBe(401);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(res.json).toMatchObject({ type: "urn:flarecast:problem:unauthorized", status: 401 });
  });

  it("answers 401 to a wrong key, a malformed key, and the admin token", async () => {
    const { workspace, key } = await createWorkspace();
    const altered = key.slice(0, -1) + (key.endsWith("a") ? "b" : "a");
    for (const token of [altered, "fc_short", "not-a-key-at-all", ADMIN_TOKEN]) {
      const res = await api(`/workspaces/${workspace.id}`, { token });
      expect(res.status, token).toBe(401);
    }
  });

  it("answers 404 with no data when the key belongs to another workspace", async () => {
    const mine = await createWorkspace({ name: "Mine" });
    const theirs = await createWorkspace({ name: "Theirs", postal_address: "Secret Street 1" });
    const unknown = await api("/workspaces/ws_00000000000000000000000000", { token: mine.key });
    expect(unknown.status).toBe(404);
    const { instance: _, request_id: _id, ...unknownProblem } = unknown.json;
    for (const path of [
      `/workspaces/${theirs.workspace.id}`,
      `/workspaces/${theirs.workspace.slug}`,
      `/workspaces/${theirs.workspace.id}/api-keys`,
    ]) {
      const res = await api(path, { token: mine.key });
      expect(res.status, path).toBe(404);
      const { instance, request_id, ...problem } = res.json;
      expect(instance).toBe(`urn:flarecast:request:${request_id}`);
      expect(problem, "indistinguishable from a workspace that does not exist").toEqual(unknownProblem);
      expect(res.text).not.toContain("Secret Street");
    }
  });

  it("fails a revoked key on the very next request", async () => {
    const { workspace, key } = await createWorkspace();
    const second = await api(`/workspaces/${workspace.id}/api-keys`, { method: "POST", token: key, body: { name: "to revoke" } });
    expect(second.status).toBe(201);
    expect((await api(`/workspaces/${workspace.id}`, { token: second.json.key })).status).toBe(200);

    const revoked = await api(`/workspaces/${workspace.id}/api-keys/${second.json.id}`, { method: "DELETE", token: key });
    expect(revoked.status).toBe(200);
    expect(revoked.json.revoked_at).toBeTruthy();

    expect((await api(`/workspaces/${workspace.id}`, { token: second.json.key })).status).toBe(401);
    expect((await api(`/workspaces/${workspace.id}`, { token: key })).status).toBe(200);
  });

  it("cannot revoke another workspace's key", async () => {
    const mine = await createWorkspace();
    const theirs = await createWorkspace();
    const theirKeys = await api(`/workspaces/${theirs.workspace.id}/api-keys`, { token: theirs.key });
    const target = theirKeys.json.data[0].id;
    const res = await api(`/workspaces/${mine.workspace.id}/api-keys/${target}`, { method: "DELETE", token: mine.key });
    expect(res.status).toBe(404);
    expect((await api(`/workspaces/${theirs.workspace.id}`, { token: theirs.key })).status).toBe(200);
  });
});

describe("API key management", () => {
  it("stores only a hash of the key and never returns the secret after creation", async () => {
    const { workspace, key } = await createWorkspace();
    const row = await env.DB.prepare("select * from api_keys where workspace_id = ?").bind(workspace.id).first<Record<string, string>>();
    expect(row?.key_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(row)).not.toContain(key);

    const list = await api(`/workspaces/${workspace.id}/api-keys`, { token: key });
    expect(list.text).not.toContain(key);
    expect(list.json.data[0]).not.toHaveProperty("key");
    expect(list.json.data[0]).not.toHaveProperty("key_hash");
  });

  it("pages through keys newest first", async () => {
    const { workspace, key } = await createWorkspace();
    for (let i = 1; i <= 4; i++) {
      await api(`/workspaces/${workspace.id}/api-keys`, { method: "POST", token: key, body: { name: `key ${i}` } });
    }
    const names: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor ? `?limit=2&cursor=${cursor}` : "?limit=2";
      const res = await api(`/workspaces/${workspace.id}/api-keys${query}`, { token: key });
      expect(res.status).toBe(200);
      names.push(...res.json.data.map((k: { name: string }) => k.name));
      cursor = res.json.next_cursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(names).toEqual(["key 4", "key 3", "key 2", "key 1", "Default key"]);
  });

  it("validates the key name", async () => {
    const { workspace, key } = await createWorkspace();
    const res = await api(`/workspaces/${workspace.id}/api-keys`, { method: "POST", token: key, body: { name: "   " } });
    expect(res.status).toBe(422);
    expect(res.json.errors).toEqual([expect.objectContaining({ location: "body", path: "name" })]);
  });

  it("records when a key was last used", async () => {
    const { workspace, key } = await createWorkspace();
    await api(`/workspaces/${workspace.id}`, { token: key });
    const list = await api(`/workspaces/${workspace.id}/api-keys`, { token: key });
    expect(list.json.data[0].last_used_at).not.toBeNull();
  });
});
