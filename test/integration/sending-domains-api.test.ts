import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client";
import { recordDeliveryOutcomes } from "../../src/domain/reputation/isp-metrics";
import { api, createWorkspace } from "../factories/api";
import { asStandIn, failName, publish, uniqueDomain } from "../stand-ins/doh-zone";
import { STAND_IN_CREDENTIALS as CREDS } from "../stand-ins/provider-credentials";

const infra = (ws: string, path: string) => `/workspaces/${ws}/email-infrastructure/${path}`;

async function workspaceWithProvider() {
  const { workspace, key } = await createWorkspace();
  const provider = await api(infra(workspace.id, "providers"), {
    method: "POST",
    token: key,
    body: { name: "Postmark", provider_type: "postmark", credentials: CREDS.postmark, is_default: true },
  });
  expect(provider.status).toBe(201);
  return { workspace, key };
}

describe("sending domains", () => {
  it("generates a DKIM key and answers the records to paste, never the private key", async () => {
    const { workspace, key } = await workspaceWithProvider();
    const domain = uniqueDomain();
    const res = await api(infra(workspace.id, "domains"), { method: "POST", token: key, body: { domain, subdomain: "Mail" } });
    expect(res.status, res.text).toBe(201);
    const host = `mail.${domain}`;
    expect(res.json).toMatchObject({ domain, subdomain: "mail", sending_host: host, status: "pending", warming_status: "not_started" });
    const { spf, dkim, dmarc, return_path } = res.json.dns_records;
    expect(spf).toEqual({ type: "TXT", name: host, value: "v=spf1 include:spf.mtasv.net ~all" });
    expect(dkim.name).toBe(`${res.json.dkim_selector}._domainkey.${host}`);
    const strings = [...dkim.value.matchAll(/"([^"]*)"/g)].map((m: RegExpMatchArray) => m[1]);
    expect(strings.length).toBeGreaterThan(1);
    expect(strings.every((s: string) => s.length <= 255)).toBe(true);
    expect(strings.join("")).toMatch(/^v=DKIM1; k=rsa; p=[A-Za-z0-9+/=]{390,}$/);
    expect(dmarc).toMatchObject({ type: "TXT", name: `_dmarc.${host}` });
    expect(dmarc.value).toMatch(/^v=DMARC1; p=none/);
    expect(return_path).toEqual({ type: "CNAME", name: `pm-bounces.${host}`, value: "pm.mtasv.net" });
    expect(res.text).not.toMatch(/PRIVATE|dkim_private_key/i);

    const row = await env.DB.prepare("select dkim_private_key from sending_domains where id = ?")
      .bind(res.json.id)
      .first<{ dkim_private_key: string }>();
    expect(row?.dkim_private_key).toMatch(/^v1\./);
  });

  it("refuses a duplicate host (409) and names that are not domains (422)", async () => {
    const { workspace, key } = await workspaceWithProvider();
    const domain = uniqueDomain();
    expect((await api(infra(workspace.id, "domains"), { method: "POST", token: key, body: { domain } })).status).toBe(201);
    expect((await api(infra(workspace.id, "domains"), { method: "POST", token: key, body: { domain: domain.toUpperCase() } })).status).toBe(
      409,
    );
    expect((await api(infra(workspace.id, "domains"), { method: "POST", token: key, body: { domain, subdomain: "news" } })).status).toBe(
      201,
    );
    for (const bad of ["localhost", "exa mple.com", "-x.com", "example.c0m", "a..b.com"]) {
      const res = await api(infra(workspace.id, "domains"), { method: "POST", token: key, body: { domain: bad } });
      expect(res.status, bad).toBe(422);
      expect(res.json.errors[0].path).toBe("domain");
    }
  });

  it("has one sending domain per host, however the host is split, cased or dotted (409 naming the existing one)", async () => {
    const { workspace, key } = await workspaceWithProvider();
    const domain = uniqueDomain();
    const add = (body: object) => api(infra(workspace.id, "domains"), { method: "POST", token: key, body });
    const split = await add({ domain, subdomain: "mail" });
    expect(split.status, split.text).toBe(201);
    for (const body of [
      { domain: `mail.${domain}` },
      { domain: `MAIL.${domain.toUpperCase()}.` },
      { domain: `${domain}.`, subdomain: "Mail." },
    ]) {
      const again = await add(body);
      expect(again.status, JSON.stringify(body)).toBe(409);
      expect(again.json.detail).toContain(split.json.id);
      expect(again.json.detail).toContain(`mail.${domain}`);
    }
    const whole = await add({ domain: `news.${domain}` });
    expect(whole.status).toBe(201);
    expect(whole.json).toMatchObject({ domain: `news.${domain}`, subdomain: null, sending_host: `news.${domain}` });
    const resplit = await add({ domain, subdomain: "news" });
    expect(resplit.status).toBe(409);
    expect(resplit.json.detail).toContain(whole.json.id);
    const deeper = await add({ domain: `${domain}.`, subdomain: "a.mail" });
    expect(deeper.status).toBe(201);
    expect((await add({ domain: `mail.${domain}`, subdomain: "a" })).status).toBe(409);
    const list = await api(infra(workspace.id, "domains"), { token: key });
    expect(list.json.data.map((d: { sending_host: string }) => d.sending_host).sort()).toEqual([
      `a.mail.${domain}`,
      `mail.${domain}`,
      `news.${domain}`,
    ]);
  });

  it("verifies the published records, and says which record is wrong when one is", async () => {
    const { workspace, key } = await workspaceWithProvider();
    const created = await api(infra(workspace.id, "domains"), { method: "POST", token: key, body: { domain: uniqueDomain() } });
    const { spf, dkim, dmarc, return_path } = created.json.dns_records;
    await publish(asStandIn(spf), asStandIn(dkim), asStandIn(return_path));

    const partial = await api(`${infra(workspace.id, "domains")}/${created.json.id}/verify`, { method: "POST", token: key });
    expect(partial.status).toBe(200);
    expect(partial.json.status).toBe("failed");
    const byRecord = Object.fromEntries(partial.json.checks.map((c: { record: string }) => [c.record, c]));
    expect(byRecord.spf.status).toBe("pass");
    expect(byRecord.dkim.status).toBe("pass");
    expect(byRecord.dmarc.status).toBe("missing");
    expect(byRecord.dmarc.reason).toBeTruthy();
    expect(partial.json.domain.status).toBe("failed");

    await publish(asStandIn(dmarc));
    const verified = await api(`${infra(workspace.id, "domains")}/${created.json.id}/verify`, { method: "POST", token: key });
    expect(verified.json.status).toBe("verified");
    expect(verified.json.domain.status).toBe("verified");
    expect(verified.json.domain.verified_at).toBe(verified.json.checked_at);
    const fetched = await api(`${infra(workspace.id, "domains")}/${created.json.id}`, { token: key });
    expect(fetched.json.verification.checks.every((c: { status: string }) => c.status === "pass")).toBe(true);
  });

  it("a domain's SPF and return path follow the providers added after it", async () => {
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

  it("verifies the records the current providers need, and keeps the DKIM key it gave", async () => {
    const { workspace, key } = await createWorkspace();
    const domains = infra(workspace.id, "domains");
    const created = await api(domains, { method: "POST", token: key, body: { domain: uniqueDomain() } });
    const { spf, dkim, dmarc, return_path } = created.json.dns_records;
    await publish(asStandIn(spf), asStandIn(dkim), asStandIn(dmarc), asStandIn(return_path));
    expect((await api(`${domains}/${created.json.id}/verify`, { method: "POST", token: key })).json.status).toBe("verified");

    await api(infra(workspace.id, "providers"), {
      method: "POST",
      token: key,
      body: { name: "SES", provider_type: "ses", credentials: CREDS.ses, is_default: true },
    });
    const stale = await api(`${domains}/${created.json.id}/verify`, { method: "POST", token: key });
    expect(stale.json.status).toBe("failed");
    const byRecord = Object.fromEntries(stale.json.checks.map((c: { record: string }) => [c.record, c]));
    expect(byRecord.spf.status).toBe("fail");
    expect(byRecord.spf.reason).toContain("include:amazonses.com");
    expect(byRecord.return_path.status).toBe("missing");
    expect(byRecord.dkim.status).toBe("pass");
    const now = stale.json.domain.dns_records;
    expect(now.dkim).toEqual(dkim);
    expect(now.return_path).toMatchObject({ type: "MX", name: `bounce.${created.json.sending_host}` });

    await publish(asStandIn(now.spf), asStandIn(now.return_path));
    expect((await api(`${domains}/${created.json.id}/verify`, { method: "POST", token: key })).json.status).toBe("verified");
  });

  it("scores a domain's health from its delivery outcomes and stores it for routing", async () => {
    const { workspace, key } = await workspaceWithProvider();
    const created = await api(infra(workspace.id, "domains"), { method: "POST", token: key, body: { domain: uniqueDomain() } });
    const empty = await api(`${infra(workspace.id, "domains")}/${created.json.id}/health`, { token: key });
    expect(empty.json).toMatchObject({ score: null, status: null, below_routing_floor: false, window_days: 7 });

    const now = new Date().toISOString();
    const outcome = (event: "send" | "delivery" | "bounce" | "open", n: number, email = "x@gmail.com") =>
      Array.from({ length: n }, () => ({
        workspace_id: workspace.id,
        target_type: "domain" as const,
        target_id: created.json.id,
        recipient_email: email,
        event,
        occurred_at: now,
      }));
    await recordDeliveryOutcomes(createDb(env.DB), [
      ...outcome("send", 200),
      ...outcome("delivery", 196),
      ...outcome("bounce", 4),
      ...outcome("open", 50),
    ]);

    const scored = await api(`${infra(workspace.id, "domains")}/${created.json.id}/health`, { token: key });
    expect(scored.json.counts).toMatchObject({ sent: 200, delivered: 196, bounced: 4, opened: 50 });
    // bounce 2 % → 60, complaint 0 → 100, delivery 98 % → 80, engagement 25.5 % → 100
    expect(scored.json.components).toEqual({ bounce: 60, complaint: 100, delivery: 80, engagement: 100 });
    expect(scored.json.score).toBe(83);
    expect(scored.json.status).toBe("good");
    expect(scored.json.isp.gmail).toBe(83);
    const domain = await api(`${infra(workspace.id, "domains")}/${created.json.id}`, { token: key });
    expect(domain.json).toMatchObject({ health_score: 83, health_status: "good" });
  });
});

describe("sending identities", () => {
  it("adds several from addresses on a domain's sending host, and only there", async () => {
    const { workspace, key } = await workspaceWithProvider();
    const domain = uniqueDomain();
    const created = await api(infra(workspace.id, "domains"), {
      method: "POST",
      token: key,
      body: { domain, subdomain: "mail", default_from_name: "Acme" },
    });
    const add = (body: object) =>
      api(infra(workspace.id, "identities"), { method: "POST", token: key, body: { domain_id: created.json.id, ...body } });
    const news = await add({ email: `News@mail.${domain}`, is_default: true });
    expect(news.status, news.text).toBe(201);
    expect(news.json).toMatchObject({ email: `news@mail.${domain}`, display_name: "Acme", is_default: true });
    expect((await add({ email: `support@mail.${domain}`, display_name: "Acme Support" })).status).toBe(201);
    expect((await add({ email: `news@mail.${domain}` })).status).toBe(409);
    const wrongHost = await add({ email: `news@${domain}` });
    expect(wrongHost.status).toBe(422);
    expect(wrongHost.json.errors[0]).toMatchObject({ path: "email" });
    const unknownDomain = await api(infra(workspace.id, "identities"), {
      method: "POST",
      token: key,
      body: { domain_id: "dom_nope", email: `a@mail.${domain}` },
    });
    expect(unknownDomain.status).toBe(422);
    expect(unknownDomain.json.errors[0].path).toBe("domain_id");

    const listed = await api(`${infra(workspace.id, "identities")}?domain_id=${created.json.id}`, { token: key });
    expect(listed.json.data.map((i: { email: string }) => i.email)).toEqual([`news@mail.${domain}`, `support@mail.${domain}`]);
  });
});

describe("dedicated IPs", () => {
  it("checks reverse DNS and blocklists, and stores the listings", async () => {
    const { workspace, key } = await workspaceWithProvider();
    const octet = 1 + Math.floor(Math.random() * 250);
    const ip = `198.51.100.${octet}`;
    const hostname = `mta.${uniqueDomain()}`;
    const created = await api(infra(workspace.id, "dedicated-ips"), { method: "POST", token: key, body: { ip_address: ip, hostname } });
    expect(created.status, created.text).toBe(201);
    expect(created.json).toMatchObject({ status: "pending", ptr_verified: false, blacklist_status: [] });
    await publish(
      { name: `${octet}.100.51.198.in-addr.arpa`, type: "PTR", value: `${hostname}.` },
      { name: hostname, type: "A", value: ip },
      { name: `${octet}.100.51.198.zen.spamhaus.org`, type: "A", value: "127.0.0.2" },
    );
    const checked = await api(`${infra(workspace.id, "dedicated-ips")}/${created.json.id}/check`, { method: "POST", token: key });
    expect(checked.status, checked.text).toBe(200);
    expect(checked.json.ptr.verified).toBe(true);
    expect(checked.json.listed_on).toEqual(["zen.spamhaus.org"]);
    expect(checked.json.blocklist_summary).toBe("listed");
    expect(checked.json.ip).toMatchObject({ status: "verified", ptr_verified: true, blocklist_summary: "listed" });
    expect(checked.json.ip.blacklist_status).toHaveLength(3);

    expect((await api(infra(workspace.id, "dedicated-ips"), { method: "POST", token: key, body: { ip_address: ip } })).status).toBe(409);
    const bad = await api(infra(workspace.id, "dedicated-ips"), { method: "POST", token: key, body: { ip_address: "300.1.1.1" } });
    expect(bad.status).toBe(422);
    expect(bad.json.errors[0].path).toBe("ip_address");
  });
  it("one IPv6 address written two ways is one dedicated IP", async () => {
    const { workspace, key } = await createWorkspace();
    const first = await api(infra(workspace.id, "dedicated-ips"), { method: "POST", token: key, body: { ip_address: "2001:db8::1" } });
    expect(first.status).toBe(201);
    const second = await api(infra(workspace.id, "dedicated-ips"), { method: "POST", token: key, body: { ip_address: "2001:DB8:0:0::1" } });
    expect(second.status).toBe(409);
    expect(first.json.ip_address).toBe("2001:db8::1");
  });

  it("refuses addresses that cannot send on the internet: private, loopback, link-local (422 with the path)", async () => {
    const { workspace, key } = await createWorkspace();
    for (const ip_address of ["10.1.2.3", "172.16.0.9", "192.168.1.1", "127.0.0.1", "169.254.0.1", "::1", "fe80::1", "fd00::1"]) {
      const refused = await api(infra(workspace.id, "dedicated-ips"), { method: "POST", token: key, body: { ip_address } });
      expect(refused.status, ip_address).toBe(422);
      expect(refused.json.errors[0].path).toBe("ip_address");
    }
    expect((await api(infra(workspace.id, "dedicated-ips"), { token: key })).json.data).toEqual([]);
  });

  it("says unknown, not clean, when a blocklist zone could not be checked", async () => {
    const { workspace, key } = await workspaceWithProvider();
    const octet = 1 + Math.floor(Math.random() * 250);
    const created = await api(infra(workspace.id, "dedicated-ips"), {
      method: "POST",
      token: key,
      body: { ip_address: `203.0.113.${octet}` },
    });
    expect(created.json.blocklist_summary).toBe("unknown");
    await failName(`${octet}.113.0.203.bl.spamcop.net`);
    const checked = await api(`${infra(workspace.id, "dedicated-ips")}/${created.json.id}/check`, { method: "POST", token: key });
    expect(checked.status, checked.text).toBe(200);
    expect(checked.json).toMatchObject({ listed_on: [], unknown_on: ["bl.spamcop.net"], blocklist_summary: "unknown" });
    expect(checked.json.ip.blacklist_status).toContainEqual(
      expect.objectContaining({
        zone: "bl.spamcop.net",
        status: "unknown",
        listed: null,
        detail: "lookup failed: resolver answered SERVFAIL",
      }),
    );
    expect(checked.json.ip.blacklist_status.filter((b: { status: string }) => b.status === "not_listed")).toHaveLength(2);
  });
});

describe("sending pools", () => {
  it("groups the workspace's domains and IPs, and refuses members that are not its own", async () => {
    const { workspace, key } = await workspaceWithProvider();
    const other = await workspaceWithProvider();
    const mine = await api(infra(workspace.id, "domains"), { method: "POST", token: key, body: { domain: uniqueDomain() } });
    const theirs = await api(infra(other.workspace.id, "domains"), { method: "POST", token: other.key, body: { domain: uniqueDomain() } });
    const bad = await api(infra(workspace.id, "pools"), {
      method: "POST",
      token: key,
      body: {
        name: "Marketing",
        routing_config: { strategy: "weighted" },
        members: [{ domain_id: mine.json.id }, { domain_id: theirs.json.id }, { domain_id: mine.json.id }],
      },
    });
    expect(bad.status).toBe(422);
    expect(bad.json.errors.map((e: { path: string }) => e.path)).toEqual(["members.1.domain_id", "members.2.domain_id"]);
    expect(bad.json.errors[1].message).toBe("listed twice");
    const neither = await api(infra(workspace.id, "pools"), {
      method: "POST",
      token: key,
      body: { name: "Marketing", routing_config: { strategy: "weighted" }, members: [{ weight: 2 }] },
    });
    expect(neither.status).toBe(422);
    expect(neither.json.errors[0].path).toBe("members.0");

    const pool = await api(infra(workspace.id, "pools"), {
      method: "POST",
      token: key,
      body: {
        name: "Marketing",
        routing_config: { strategy: "weighted", preferred_providers: ["postmark"] },
        members: [{ domain_id: mine.json.id, weight: 3 }],
      },
    });
    expect(pool.status, pool.text).toBe(201);
    expect(pool.json.routing_config).toEqual({ strategy: "weighted", preferred_providers: ["postmark"], fallback_enabled: true });
    expect(pool.json.members).toMatchObject([{ member_type: "domain", domain_id: mine.json.id, weight: 3, priority: 100 }]);
    expect((await api(`${infra(workspace.id, "pools")}/${pool.json.id}`, { token: key })).json).toEqual(pool.json);
    expect((await api(`${infra(other.workspace.id, "pools")}/${pool.json.id}`, { token: other.key })).status).toBe(404);
    expect(
      (
        await api(infra(workspace.id, "pools"), {
          method: "POST",
          token: key,
          body: { name: "Marketing", routing_config: { strategy: "priority" } },
        })
      ).status,
    ).toBe(409);
  });

  it("refuses preferred providers that are neither a provider type nor one of the workspace's providers (422 with the path)", async () => {
    const { workspace, key } = await workspaceWithProvider();
    const other = await workspaceWithProvider();
    const mine = (await api(infra(workspace.id, "providers"), { token: key })).json.data[0].id;
    const theirs = (await api(infra(other.workspace.id, "providers"), { token: other.key })).json.data[0].id;
    const create = (preferred: string[]) =>
      api(infra(workspace.id, "pools"), {
        method: "POST",
        token: key,
        body: { name: `P ${preferred.join()}`, routing_config: { strategy: "priority", preferred_providers: preferred } },
      });
    const bad = await create(["ses", "prv_nope", theirs, mine]);
    expect(bad.status, bad.text).toBe(422);
    expect(bad.json.errors.map((e: { path: string }) => e.path)).toEqual([
      "routing_config.preferred_providers.1",
      "routing_config.preferred_providers.2",
    ]);
    expect((await api(infra(workspace.id, "pools"), { token: key })).json.data).toEqual([]);
    expect((await create(["capture", mine])).status).toBe(201);
  });

  it("refuses a route preview whose identity or preferred provider is not the workspace's (422 with the path)", async () => {
    const { workspace, key } = await workspaceWithProvider();
    const other = await workspaceWithProvider();
    const theirDomain = await api(infra(other.workspace.id, "domains"), {
      method: "POST",
      token: other.key,
      body: { domain: uniqueDomain() },
    });
    const theirIdentity = await api(infra(other.workspace.id, "identities"), {
      method: "POST",
      token: other.key,
      body: { domain_id: theirDomain.json.id, email: `hi@${theirDomain.json.sending_host}` },
    });
    const pool = await api(infra(workspace.id, "pools"), {
      method: "POST",
      token: key,
      body: { name: "Main", routing_config: { strategy: "priority" } },
    });
    const route = (body: object) =>
      api(`${infra(workspace.id, "pools")}/${pool.json.id}/route`, {
        method: "POST",
        token: key,
        body: { recipient_email: "ada@gmail.com", ...body },
      });
    for (const id of ["idn_nope", theirIdentity.json.id]) {
      const res = await route({ sending_identity_id: id });
      expect(res.status, res.text).toBe(422);
      expect(res.json.errors[0].path).toBe("sending_identity_id");
    }
    const provider = await route({ preferred_providers: ["postmark", "prv_nope"] });
    expect(provider.status).toBe(422);
    expect(provider.json.errors[0].path).toBe("preferred_providers.1");
    expect((await route({})).status).toBe(200);
  });

  it("routes a recipient through the pool and explains the choice", async () => {
    const { workspace, key } = await workspaceWithProvider();
    const domain = uniqueDomain();
    const created = await api(infra(workspace.id, "domains"), { method: "POST", token: key, body: { domain } });
    const identity = await api(infra(workspace.id, "identities"), {
      method: "POST",
      token: key,
      body: { domain_id: created.json.id, email: `hi@${domain}` },
    });
    const pool = await api(infra(workspace.id, "pools"), {
      method: "POST",
      token: key,
      body: { name: "Main", routing_config: { strategy: "priority" }, members: [{ domain_id: created.json.id }] },
    });
    const route = (body: object) => api(`${infra(workspace.id, "pools")}/${pool.json.id}/route`, { method: "POST", token: key, body });

    const unverified = await route({ recipient_email: "ada@gmail.com" });
    expect(unverified.status, unverified.text).toBe(200);
    expect(unverified.json.ok).toBe(false);
    expect(unverified.json.reasons.join(" ")).toMatch(/pending|not verified|status/i);
    expect(unverified.json.provider_id).toBeNull();
    expect(unverified.json.reasons.filter((r: string) => /^provider \S+: (preferred|priority)/.test(r))).toEqual([]);

    await publish(
      ...Object.values(created.json.dns_records as Record<string, { name: string; type: "TXT" | "CNAME"; value: string }>).map(asStandIn),
    );
    await api(`${infra(workspace.id, "domains")}/${created.json.id}/verify`, { method: "POST", token: key });
    const routed = await route({ recipient_email: "ada@gmail.com" });
    expect(routed.json).toMatchObject({ ok: true, domain_id: created.json.id, identity_id: identity.json.id, isp: "gmail" });
    expect(routed.json.reasons.length).toBeGreaterThan(0);
  });
});
