import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client";
import { campaignRecipients, emailCampaigns } from "../../src/db/schema";
import { newId } from "../../src/lib/ids";
import { api, createWorkspace } from "../factories/api";
import { insertDomain } from "../factories/infrastructure";
import { uniqueDomain } from "../stand-ins/doh-zone";

const infra = (ws: string, path: string) => `/workspaces/${ws}/email-infrastructure/${path}`;

/** Two workspaces, each with a key: the second one's ids are foreign to the first. */
async function twoWorkspaces() {
  const [mine, other] = await Promise.all([createWorkspace(), createWorkspace()]);
  const call =
    (ws: { workspace: { id: string }; key: string }) =>
    (path: string, method = "GET", body?: unknown) =>
      api(infra(ws.workspace.id, path), { method, token: ws.key, body });
  return { mine, other, as: call(mine), asOther: call(other) };
}

async function insertCampaign(
  workspaceId: string,
  status: (typeof emailCampaigns.$inferInsert)["status"],
  refs: { sending_pool_id?: string; sending_identity_id?: string },
) {
  const id = newId("cmp");
  await createDb(env.DB)
    .insert(emailCampaigns)
    .values({ id, workspace_id: workspaceId, name: `Campaign ${id}`, status, ...refs });
  return id;
}

describe("sending domains: change and remove", () => {
  it("changes what is safe, refuses the rest, and 404s another workspace's domain", async () => {
    const { as, asOther } = await twoWorkspaces();
    const domain = await as("domains", "POST", { domain: uniqueDomain(), subdomain: "mail" });
    const other = await as("domains", "POST", { domain: uniqueDomain(), is_default: true });
    const patched = await as(`domains/${domain.json.id}`, "PATCH", {
      default_from_name: "Acme",
      default_reply_to: "help@example.com",
      is_default: true,
    });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.json).toMatchObject({
      default_from_name: "Acme",
      default_reply_to: "help@example.com",
      is_default: true,
      dkim_selector: domain.json.dkim_selector,
    });
    expect((await as(`domains/${other.json.id}`)).json.is_default).toBe(false);

    const renamed = await as(`domains/${domain.json.id}`, "PATCH", { domain: "elsewhere.example" });
    expect(renamed.status).toBe(422);
    expect(renamed.json.errors[0].path).toBe("domain");
    const badReplyTo = await as(`domains/${domain.json.id}`, "PATCH", { default_reply_to: "nope" });
    expect(badReplyTo.status).toBe(422);
    expect(badReplyTo.json.errors[0].path).toBe("default_reply_to");

    expect((await asOther(`domains/${domain.json.id}`, "PATCH", { default_from_name: "Mallory" })).status).toBe(404);
    expect((await asOther(`domains/${domain.json.id}`, "DELETE")).status).toBe(404);
    expect((await as(`domains/${domain.json.id}`)).json.default_from_name).toBe("Acme");
  });

  it("deletes a domain with its identities, unless a pool or an unfinished campaign uses it (409)", async () => {
    const { mine, as } = await twoWorkspaces();
    const domain = await as("domains", "POST", { domain: uniqueDomain() });
    const identity = await as("identities", "POST", { domain_id: domain.json.id, email: `hi@${domain.json.sending_host}` });
    const pool = await as("pools", "POST", {
      name: "Main",
      routing_config: { strategy: "priority" },
      members: [{ domain_id: domain.json.id }],
    });

    const inPool = await as(`domains/${domain.json.id}`, "DELETE");
    expect(inPool.status).toBe(409);
    expect(inPool.json.detail).toContain(pool.json.id);
    await as(`pools/${pool.json.id}`, "PATCH", { members: [] });

    const campaign = await insertCampaign(mine.workspace.id, "scheduled", { sending_identity_id: identity.json.id });
    const inCampaign = await as(`domains/${domain.json.id}`, "DELETE");
    expect(inCampaign.status).toBe(409);
    expect(inCampaign.json.detail).toContain(campaign);
    await env.DB.prepare("update email_campaigns set status = 'sent' where id = ?").bind(campaign).run();

    const routed = await insertCampaign(mine.workspace.id, "paused", {});
    await createDb(env.DB)
      .insert(campaignRecipients)
      .values({
        id: newId("rcp"),
        workspace_id: mine.workspace.id,
        campaign_id: routed,
        email: "ada@example.com",
        sending_domain_id: domain.json.id,
      });
    const routedThrough = await as(`domains/${domain.json.id}`, "DELETE");
    expect(routedThrough.status).toBe(409);
    expect(routedThrough.json.detail).toContain(routed);
    await env.DB.prepare("update email_campaigns set status = 'cancelled' where id = ?").bind(routed).run();

    expect((await as(`domains/${domain.json.id}`, "DELETE")).status).toBe(204);
    expect((await as(`domains/${domain.json.id}`)).status).toBe(404);
    expect((await as(`identities/${identity.json.id}`)).status).toBe(404);
    expect((await as(`domains/${domain.json.id}`, "DELETE")).status).toBe(404);
    expect((await as("domains", "POST", { domain: domain.json.domain })).status).toBe(201);
  });
});

describe("sending identities: change and remove", () => {
  it("changes the display name, reply-to and default, never the address", async () => {
    const { as, asOther } = await twoWorkspaces();
    const domain = await as("domains", "POST", { domain: uniqueDomain() });
    const add = (email: string, body: object = {}) =>
      as("identities", "POST", { domain_id: domain.json.id, email: `${email}@${domain.json.sending_host}`, ...body });
    const news = await add("news", { is_default: true });
    const support = await add("support");
    const patched = await as(`identities/${support.json.id}`, "PATCH", { display_name: "Support", reply_to: null, is_default: true });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.json).toMatchObject({ display_name: "Support", reply_to: null, is_default: true, email: support.json.email });
    expect((await as(`identities/${news.json.id}`)).json.is_default).toBe(false);
    const readdress = await as(`identities/${support.json.id}`, "PATCH", { email: `x@${domain.json.sending_host}` });
    expect(readdress.status).toBe(422);
    expect((await asOther(`identities/${support.json.id}`, "PATCH", { display_name: "Mallory" })).status).toBe(404);
    expect((await asOther(`identities/${support.json.id}`)).status).toBe(404);
  });

  it("deletes an identity unless an unfinished campaign sends from it (409)", async () => {
    const { mine, as, asOther } = await twoWorkspaces();
    const domain = await as("domains", "POST", { domain: uniqueDomain() });
    const identity = await as("identities", "POST", { domain_id: domain.json.id, email: `hi@${domain.json.sending_host}` });
    const campaign = await insertCampaign(mine.workspace.id, "draft", { sending_identity_id: identity.json.id });
    const refused = await as(`identities/${identity.json.id}`, "DELETE");
    expect(refused.status).toBe(409);
    expect(refused.json.detail).toContain(campaign);
    expect((await asOther(`identities/${identity.json.id}`, "DELETE")).status).toBe(404);
    await env.DB.prepare("update email_campaigns set status = 'cancelled' where id = ?").bind(campaign).run();
    expect((await as(`identities/${identity.json.id}`, "DELETE")).status).toBe(204);
    expect((await as(`identities/${identity.json.id}`)).status).toBe(404);
  });
});

describe("dedicated IPs: change and remove", () => {
  it("changes the hostname (voiding the PTR check) and deletes unless a pool uses the IP (409)", async () => {
    const { as, asOther } = await twoWorkspaces();
    const ip = await as("dedicated-ips", "POST", { ip_address: "192.0.2.77", hostname: "mta1.example.com" });
    await env.DB.prepare("update dedicated_ips set status = 'verified', ptr_verified = 1 where id = ?").bind(ip.json.id).run();
    const patched = await as(`dedicated-ips/${ip.json.id}`, "PATCH", { hostname: "MTA2.example.com" });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.json).toMatchObject({ hostname: "mta2.example.com", ptr_verified: false, status: "pending" });
    expect((await as(`dedicated-ips/${ip.json.id}`, "PATCH", { ip_address: "192.0.2.78" })).status).toBe(422);
    const badHost = await as(`dedicated-ips/${ip.json.id}`, "PATCH", { hostname: "not a host" });
    expect(badHost.status).toBe(422);
    expect(badHost.json.errors[0].path).toBe("hostname");
    expect((await asOther(`dedicated-ips/${ip.json.id}`, "PATCH", { hostname: null })).status).toBe(404);
    expect((await asOther(`dedicated-ips/${ip.json.id}`, "DELETE")).status).toBe(404);

    const pool = await as("pools", "POST", {
      name: "IPs",
      routing_config: { strategy: "priority" },
      members: [{ dedicated_ip_id: ip.json.id }],
    });
    const refused = await as(`dedicated-ips/${ip.json.id}`, "DELETE");
    expect(refused.status).toBe(409);
    expect(refused.json.detail).toContain(pool.json.id);
    expect((await as(`pools/${pool.json.id}`, "DELETE")).status).toBe(204);
    expect((await as(`dedicated-ips/${ip.json.id}`, "DELETE")).status).toBe(204);
    expect((await as(`dedicated-ips/${ip.json.id}`)).status).toBe(404);
  });
});

describe("providers: remove", () => {
  it("deleting a provider that a pool prefers is a 409 naming the pool, as for domains and IPs", async () => {
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
    expect((await api(infra(workspace.id, `pools/${pool.json.id}`), { method: "DELETE", token: key })).status).toBe(204);
    expect((await api(infra(workspace.id, `providers/${provider.json.id}`), { method: "DELETE", token: key })).status).toBe(204);
  });
});

describe("sending pools: change and remove", () => {
  it("renames, reroutes and replaces members, checking them as on create", async () => {
    const { as, asOther } = await twoWorkspaces();
    const a = await as("domains", "POST", { domain: uniqueDomain() });
    const b = await as("domains", "POST", { domain: uniqueDomain() });
    const theirs = await asOther("domains", "POST", { domain: uniqueDomain() });
    const pool = await as("pools", "POST", { name: "Main", routing_config: { strategy: "priority" }, members: [{ domain_id: a.json.id }] });
    await as("pools", "POST", { name: "Taken", routing_config: { strategy: "priority" } });

    const patched = await as(`pools/${pool.json.id}`, "PATCH", {
      name: "Marketing",
      routing_config: { strategy: "weighted", preferred_providers: ["ses"] },
      members: [{ domain_id: b.json.id, weight: 3 }],
      is_default: true,
    });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.json).toMatchObject({
      name: "Marketing",
      is_default: true,
      routing_config: { strategy: "weighted", preferred_providers: ["ses"], fallback_enabled: true },
    });
    expect(patched.json.members).toMatchObject([{ domain_id: b.json.id, weight: 3 }]);

    expect((await as(`pools/${pool.json.id}`, "PATCH", { name: "Taken" })).status).toBe(409);
    const foreignMember = await as(`pools/${pool.json.id}`, "PATCH", { members: [{ domain_id: theirs.json.id }] });
    expect(foreignMember.status).toBe(422);
    expect(foreignMember.json.errors[0].path).toBe("members.0.domain_id");
    const unknownProvider = await as(`pools/${pool.json.id}`, "PATCH", {
      routing_config: { strategy: "priority", preferred_providers: ["prv_nope"] },
    });
    expect(unknownProvider.status).toBe(422);
    expect(unknownProvider.json.errors[0].path).toBe("routing_config.preferred_providers.0");
    expect((await as(`pools/${pool.json.id}`)).json).toEqual(patched.json);
    expect((await asOther(`pools/${pool.json.id}`, "PATCH", { name: "Mine now" })).status).toBe(404);
  });

  it("changing only a pool's members moves its updated_at", async () => {
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

  it("deletes a pool unless an unfinished campaign routes through it (409); its domains stay", async () => {
    const { mine, as, asOther } = await twoWorkspaces();
    const domain = await as("domains", "POST", { domain: uniqueDomain() });
    const pool = await as("pools", "POST", {
      name: "Main",
      routing_config: { strategy: "priority" },
      members: [{ domain_id: domain.json.id }],
    });
    const campaign = await insertCampaign(mine.workspace.id, "sending", { sending_pool_id: pool.json.id });
    const refused = await as(`pools/${pool.json.id}`, "DELETE");
    expect(refused.status).toBe(409);
    expect(refused.json.detail).toContain(campaign);
    expect((await asOther(`pools/${pool.json.id}`, "DELETE")).status).toBe(404);
    await env.DB.prepare("update email_campaigns set status = 'sent' where id = ?").bind(campaign).run();
    expect((await as(`pools/${pool.json.id}`, "DELETE")).status).toBe(204);
    expect((await as(`pools/${pool.json.id}`)).status).toBe(404);
    expect((await as(`domains/${domain.json.id}`)).status).toBe(200);
  });
});
