import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { throttleFor } from "../../src/domain/warming/throttle";
import { api, createWorkspace } from "../factories/api";
import { insertDomain, insertIp } from "../factories/infrastructure";
import { asStandIn, publish, uniqueDomain } from "../stand-ins/doh-zone";

const infra = (ws: string, path: string) => `/workspaces/${ws}/email-infrastructure/${path}`;

async function verifiedDomain() {
  const { workspace, key } = await createWorkspace();
  const created = await api(infra(workspace.id, "domains"), { method: "POST", token: key, body: { domain: uniqueDomain() } });
  await publish(
    ...Object.values(created.json.dns_records as Record<string, { name: string; type: "TXT" | "CNAME"; value: string }>).map(asStandIn),
  );
  const verified = await api(`${infra(workspace.id, "domains")}/${created.json.id}/verify`, { method: "POST", token: key });
  expect(verified.json.status).toBe("verified");
  return { workspace, key, domainId: created.json.id as string };
}

describe("warming schedules API", () => {
  it("lists the three built-in schedules with the spec's anchor volumes", async () => {
    const { workspace, key } = await createWorkspace();
    const res = await api(infra(workspace.id, "warming-schedules"), { token: key });
    expect(res.status).toBe(200);
    const bySlug = Object.fromEntries(res.json.data.map((s: { slug: string }) => [s.slug, s]));
    expect(bySlug.conservative).toMatchObject({ is_builtin: true, duration_days: 21 });
    expect([1, 7, 14, 21].map((d) => bySlug.conservative.daily_volumes[d - 1])).toEqual([50, 1_000, 15_000, 100_000]);
    expect([1, 7, 14].map((d) => bySlug.moderate.daily_volumes[d - 1])).toEqual([100, 7_500, 100_000]);
    expect([1, 4, 7].map((d) => bySlug.aggressive.daily_volumes[d - 1])).toEqual([200, 15_000, 100_000]);
  });

  it("adds a valid custom schedule and refuses a decreasing one with the step's path", async () => {
    const { workspace, key } = await createWorkspace();
    const created = await api(infra(workspace.id, "warming-schedules"), {
      method: "POST",
      token: key,
      body: {
        name: "Gentle",
        slug: "gentle",
        steps: [
          { day: 1, volume: 20 },
          { day: 5, volume: 320 },
        ],
      },
    });
    expect(created.status, created.text).toBe(201);
    expect(created.json.daily_volumes).toEqual([20, 40, 80, 160, 320]);
    const bad = await api(infra(workspace.id, "warming-schedules"), {
      method: "POST",
      token: key,
      body: {
        name: "Bad",
        steps: [
          { day: 1, volume: 500 },
          { day: 3, volume: 100 },
        ],
      },
    });
    expect(bad.status).toBe(422);
    expect(bad.json.errors[0].path).toBe("steps.1.volume");
    expect(
      (
        await api(infra(workspace.id, "warming-schedules"), {
          method: "POST",
          token: key,
          body: { name: "Again", slug: "gentle", steps: [{ day: 1, volume: 1 }] },
        })
      ).status,
    ).toBe(409);
    const listed = await api(infra(workspace.id, "warming-schedules"), { token: key });
    expect(listed.json.data.map((s: { slug: string }) => s.slug)).toContain("gentle");
    const other = await createWorkspace();
    const theirs = await api(infra(other.workspace.id, "warming-schedules"), { token: other.key });
    expect(theirs.json.data.map((s: { slug: string }) => s.slug)).not.toContain("gentle");
  });

  it("a custom warming schedule with an unknown key is a 422, like every other create", async () => {
    const { workspace, key } = await createWorkspace();
    const res = await api(infra(workspace.id, "warming-schedules"), {
      method: "POST",
      token: key,
      body: { name: "Typo", slug: "typo", stpes: [], steps: [{ day: 1, volume: 50, extra: 1 }] },
    });
    expect(res.status).toBe(422);
  });
});

describe("domain warming API", () => {
  it("starts a verified domain on a schedule and caps today's sends in its DomainThrottle", async () => {
    const { workspace, key, domainId } = await verifiedDomain();
    const started = await api(`${infra(workspace.id, "domains")}/${domainId}/warming/start`, {
      method: "POST",
      token: key,
      body: { schedule: "moderate" },
    });
    expect(started.status, started.text).toBe(200);
    expect(started.json).toMatchObject({ status: "warming", warming_status: "warming", warming_day: 1, daily_limit: 100, daily_sent: 0 });
    expect(started.json.schedule.slug).toBe("moderate");

    const throttle = throttleFor(env, { type: "domain", id: domainId });
    const grants = await Promise.all(Array.from({ length: 50 }, () => throttle.acquire(3)));
    expect(grants.reduce((n, g) => n + g.granted, 0)).toBe(100);
    const progress = await api(`${infra(workspace.id, "domains")}/${domainId}/warming/progress`, { token: key });
    expect(progress.json).toMatchObject({ daily_limit: 100, daily_sent: 100 });

    const again = await api(`${infra(workspace.id, "domains")}/${domainId}/warming/start`, {
      method: "POST",
      token: key,
      body: { schedule: "moderate" },
    });
    expect(again.status).toBe(409);
    const resume = await api(`${infra(workspace.id, "domains")}/${domainId}/warming/resume`, { method: "POST", token: key });
    expect(resume.status).toBe(409);
  });

  it("refuses to warm an unverified domain (409) or on an unknown schedule (422), and hides other workspaces' domains", async () => {
    const { workspace, key } = await createWorkspace();
    const created = await api(infra(workspace.id, "domains"), { method: "POST", token: key, body: { domain: uniqueDomain() } });
    const unverified = await api(`${infra(workspace.id, "domains")}/${created.json.id}/warming/start`, {
      method: "POST",
      token: key,
      body: { schedule: "moderate" },
    });
    expect(unverified.status).toBe(409);
    const verified = await verifiedDomain();
    const unknown = await api(`${infra(verified.workspace.id, "domains")}/${verified.domainId}/warming/start`, {
      method: "POST",
      token: verified.key,
      body: { schedule: "turbo" },
    });
    expect(unknown.status).toBe(422);
    const foreign = await api(`${infra(workspace.id, "domains")}/${verified.domainId}/warming/progress`, { token: key });
    expect(foreign.status).toBe(404);
  });

  it("starting warming on an unknown schedule is a 422 naming the schedule field, not a 404", async () => {
    const { workspace, key } = await createWorkspace();
    const domain = await insertDomain(workspace.id);
    const res = await api(infra(workspace.id, `domains/${domain.id}/warming/start`), {
      method: "POST",
      token: key,
      body: { schedule: "nosuch" },
    });
    expect(res.status).toBe(422);
    expect(res.json.errors[0]).toMatchObject({ location: "body", path: "schedule" });
  });

  it("the OpenAPI WarmingProgress schema allows the null schedule of a target that never warmed", async () => {
    const { workspace, key } = await createWorkspace();
    const domain = await api(infra(workspace.id, "domains"), { method: "POST", token: key, body: { domain: "progress.example.com" } });
    const progress = await api(infra(workspace.id, `domains/${domain.json.id}/warming/progress`), { token: key });
    expect(progress.status).toBe(200);
    expect(progress.json.schedule).toBeNull();
    const doc = (await api("/openapi.json")).json;
    const schedule = doc.components.schemas.WarmingProgress.properties.schedule;
    const allowsNull = [schedule.type, ...(schedule.anyOf ?? []).map((s: { type?: unknown }) => s.type)].flat().includes("null");
    expect(allowsNull).toBe(true);
  });
});

describe("dedicated IP warming API", () => {
  it("warms a PTR-verified IP with the same state shape as a domain", async () => {
    const { workspace, key } = await createWorkspace();
    const octet = 1 + Math.floor(Math.random() * 250);
    const ip = `192.0.2.${octet}`;
    const hostname = `mta.${uniqueDomain()}`;
    const created = await api(infra(workspace.id, "dedicated-ips"), { method: "POST", token: key, body: { ip_address: ip, hostname } });
    await publish({ name: `${octet}.2.0.192.in-addr.arpa`, type: "PTR", value: hostname }, { name: hostname, type: "A", value: ip });
    await api(`${infra(workspace.id, "dedicated-ips")}/${created.json.id}/check`, { method: "POST", token: key });
    const started = await api(`${infra(workspace.id, "dedicated-ips")}/${created.json.id}/warming/start`, {
      method: "POST",
      token: key,
      body: { schedule: "conservative" },
    });
    expect(started.status, started.text).toBe(200);
    expect(started.json).toMatchObject({ target_type: "ip", target_id: created.json.id, warming_day: 1, daily_limit: 50 });
    const progress = await api(`${infra(workspace.id, "dedicated-ips")}/${created.json.id}/warming/progress`, { token: key });
    expect(Object.keys(progress.json).sort()).toEqual(Object.keys(started.json).sort());
  });
});

describe("pausing warming by hand", () => {
  it.each(["domain", "ip"] as const)("pauses a warming %s until resume, with the operator's reason and an alert", async (type) => {
    const { workspace, key } = await createWorkspace();
    const target = type === "domain" ? await insertDomain(workspace.id) : await insertIp(workspace.id);
    const path = `${infra(workspace.id, type === "domain" ? "domains" : "dedicated-ips")}/${target.id}/warming`;
    const notWarming = await api(`${path}/pause`, { method: "POST", token: key });
    expect(notWarming.status).toBe(409);
    expect((await api(`${path}/start`, { method: "POST", token: key, body: { schedule: "moderate" } })).status).toBe(200);

    const paused = await api(`${path}/pause`, { method: "POST", token: key, body: { reason: "checking a complaint spike" } });
    expect(paused.status, paused.text).toBe(200);
    expect(paused.json).toMatchObject({
      status: "paused",
      warming_status: "paused",
      daily_limit: 0,
      pause_reason: "checking a complaint spike",
    });
    expect(await throttleFor(env, target).acquire(1)).toMatchObject({ granted: 0 });
    const alert = await env.DB.prepare("select alert_type, severity from alerts where target_id = ?").bind(target.id).first();
    expect(alert).toEqual({ alert_type: "warming_paused", severity: "warning" });

    const again = await api(`${path}/pause`, { method: "POST", token: key, body: { reason: "another" } });
    expect(again.json.pause_reason).toBe("checking a complaint spike");
    const resumed = await api(`${path}/resume`, { method: "POST", token: key });
    expect(resumed.json).toMatchObject({ warming_status: "warming", daily_limit: 100 });
    const defaultReason = await api(`${path}/pause`, { method: "POST", token: key });
    expect(defaultReason.json.pause_reason).toBe("paused by operator");

    const other = await createWorkspace();
    const foreignPath = `${infra(other.workspace.id, type === "domain" ? "domains" : "dedicated-ips")}/${target.id}/warming/pause`;
    expect((await api(foreignPath, { method: "POST", token: other.key })).status).toBe(404);
    const badBody = await api(`${path}/pause`, { method: "POST", token: key, body: { reason: "" } });
    expect(badBody.status).toBe(422);
    expect(badBody.json.errors[0].path).toBe("reason");
  });

  it("resuming a paused warming keeps when it started", async () => {
    const { workspace, key } = await createWorkspace();
    const domain = await insertDomain(workspace.id);
    const base = infra(workspace.id, `domains/${domain.id}/warming`);
    const started = await api(`${base}/start`, { method: "POST", token: key, body: { schedule: "moderate" } });
    expect(started.status).toBe(200);
    expect((await api(`${base}/pause`, { method: "POST", token: key, body: { reason: "check" } })).status).toBe(200);
    const resumed = await api(`${base}/resume`, { method: "POST", token: key, body: {} });
    expect(resumed.status).toBe(200);
    expect(resumed.json.started_at).toBe(started.json.started_at);
  });
});

describe("changing and deleting warming schedules", () => {
  const schedules = (ws: string) => infra(ws, "warming-schedules");

  it("changes a custom schedule, but not its steps while something warms on it, and never a built-in", async () => {
    const { workspace, key } = await createWorkspace();
    const created = await api(schedules(workspace.id), {
      method: "POST",
      token: key,
      body: {
        name: "Gentle",
        steps: [
          { day: 1, volume: 20 },
          { day: 3, volume: 80 },
        ],
      },
    });
    const renamed = await api(`${schedules(workspace.id)}/${created.json.id}`, {
      method: "PATCH",
      token: key,
      body: {
        name: "Softer",
        slug: "softer",
        steps: [
          { day: 1, volume: 10 },
          { day: 3, volume: 90 },
        ],
      },
    });
    expect(renamed.status, renamed.text).toBe(200);
    expect(renamed.json).toMatchObject({ name: "Softer", slug: "softer", daily_volumes: [10, 30, 90] });
    const badSteps = await api(`${schedules(workspace.id)}/${created.json.id}`, {
      method: "PATCH",
      token: key,
      body: { steps: [{ day: 2, volume: 10 }] },
    });
    expect(badSteps.status).toBe(422);
    expect(badSteps.json.errors[0].path).toBe("steps.0.day");
    expect(
      (await api(`${schedules(workspace.id)}/${created.json.id}`, { method: "PATCH", token: key, body: { slug: "moderate" } })).status,
    ).toBe(409);

    const domain = await insertDomain(workspace.id);
    await api(`${infra(workspace.id, "domains")}/${domain.id}/warming/start`, { method: "POST", token: key, body: { schedule: "softer" } });
    const inUse = await api(`${schedules(workspace.id)}/${created.json.id}`, {
      method: "PATCH",
      token: key,
      body: { steps: [{ day: 1, volume: 5 }] },
    });
    expect(inUse.status).toBe(409);
    expect(inUse.json.detail).toContain(domain.id);
    expect(
      (await api(`${schedules(workspace.id)}/${created.json.id}`, { method: "PATCH", token: key, body: { description: "for cold lists" } }))
        .status,
    ).toBe(200);

    const builtin = await api(`${schedules(workspace.id)}/wsc_moderate`, { method: "PATCH", token: key, body: { name: "Mine" } });
    expect(builtin.status).toBe(409);
    expect((await api(`${schedules(workspace.id)}/wsc_moderate`, { method: "DELETE", token: key })).status).toBe(409);
    const other = await createWorkspace();
    expect(
      (await api(`${schedules(other.workspace.id)}/${created.json.id}`, { method: "PATCH", token: other.key, body: { name: "x" } })).status,
    ).toBe(404);
    expect((await api(`${schedules(other.workspace.id)}/${created.json.id}`, { method: "DELETE", token: other.key })).status).toBe(404);
  });

  it("deletes a custom schedule unless a domain or IP is warming or paused on it (409)", async () => {
    const { workspace, key } = await createWorkspace();
    const created = await api(schedules(workspace.id), {
      method: "POST",
      token: key,
      body: { name: "Short", steps: [{ day: 1, volume: 20 }] },
    });
    const ip = await insertIp(workspace.id);
    const warming = `${infra(workspace.id, "dedicated-ips")}/${ip.id}/warming`;
    await api(`${warming}/start`, { method: "POST", token: key, body: { schedule: created.json.id } });
    await api(`${warming}/pause`, { method: "POST", token: key });
    const refused = await api(`${schedules(workspace.id)}/${created.json.id}`, { method: "DELETE", token: key });
    expect(refused.status).toBe(409);
    expect(refused.json.detail).toContain(ip.id);

    await env.DB.prepare("update dedicated_ips set warming_status = 'completed', status = 'active' where id = ?").bind(ip.id).run();
    expect((await api(`${schedules(workspace.id)}/${created.json.id}`, { method: "DELETE", token: key })).status).toBe(204);
    const listed = await api(schedules(workspace.id), { token: key });
    expect(listed.json.data.map((s: { id: string }) => s.id)).not.toContain(created.json.id);
    expect((await api(`${infra(workspace.id, "dedicated-ips")}/${ip.id}`, { token: key })).json).toMatchObject({
      warming_status: "completed",
      warming_schedule_id: null,
    });
  });

  it("addresses a schedule by its slug as well as its id, as warming/start does", async () => {
    const { workspace, key } = await createWorkspace();
    await api(schedules(workspace.id), {
      method: "POST",
      token: key,
      body: { name: "Slow", slug: "slow", steps: [{ day: 1, volume: 20 }] },
    });
    const renamed = await api(`${schedules(workspace.id)}/slow`, { method: "PATCH", token: key, body: { name: "Slower" } });
    expect(renamed.status).toBe(200);
    expect(renamed.json).toMatchObject({ slug: "slow", name: "Slower" });

    const builtin = await api(`${schedules(workspace.id)}/moderate`, { method: "PATCH", token: key, body: { name: "Mine" } });
    expect(builtin.status).toBe(409);
    expect((await api(`${schedules(workspace.id)}/moderate`, { method: "DELETE", token: key })).status).toBe(409);
    const other = await createWorkspace();
    expect((await api(`${schedules(other.workspace.id)}/slow`, { method: "DELETE", token: other.key })).status).toBe(404);

    expect((await api(`${schedules(workspace.id)}/slow`, { method: "DELETE", token: key })).status).toBe(204);
    expect((await api(`${schedules(workspace.id)}/slow`, { method: "DELETE", token: key })).status).toBe(404);
  });
});
