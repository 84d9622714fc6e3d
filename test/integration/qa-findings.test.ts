import { exports } from "cloudflare:workers";
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

  it.fails("the OpenAPI WarmingProgress schema allows the null schedule of a target that never warmed", async () => {
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

  it.fails("the OpenAPI pattern of a domain suppression accepts a domain", async () => {
    const doc = (await api("/openapi.json")).json;
    const pattern: string = doc.components.schemas.CreateSuppression.properties.domain.pattern;
    expect(new RegExp(pattern, "u").test("example.com")).toBe(true);
  });

  it.fails("a custom warming schedule with an unknown key is a 422, like every other create", async () => {
    const { workspace, key } = await createWorkspace();
    const res = await api(infra(workspace.id, "warming-schedules"), {
      method: "POST",
      token: key,
      body: { name: "Typo", slug: "typo", stpes: [], steps: [{ day: 1, volume: 50, extra: 1 }] },
    });
    expect(res.status).toBe(422);
  });

  it.fails("starting warming on an unknown schedule is a 422 naming the schedule field, not a 404", async () => {
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

  it.fails("resuming a paused warming keeps when it started", async () => {
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

  it.fails("a domain suppression takes a trailing dot, as sending domains do", async () => {
    const { workspace, key } = await createWorkspace();
    const res = await api(marketing(workspace.id, "suppressions"), { method: "POST", token: key, body: { domain: "Spam.Example.org." } });
    expect(res.status).toBe(201);
    expect(res.json.domain).toBe("spam.example.org");
  });

  it.fails("template_to_design, which the README promises, is reachable over the API", async () => {
    const doc = (await api("/openapi.json")).json;
    const operations = Object.entries(doc.paths as Record<string, Record<string, { operationId?: string }>>).flatMap(([path, ops]) =>
      Object.values(ops).map((op) => `${path} ${op.operationId ?? ""}`),
    );
    expect(operations.filter((o) => /to-design|todesign|to_design/i.test(o))).not.toEqual([]);
  });

  it.fails("switching a template to visual without a visual_definition is a 422 naming the field", async () => {
    const { workspace, key } = await createWorkspace();
    const created = await api(marketing(workspace.id, "templates"), {
      method: "POST",
      token: key,
      body: { name: "Code", slug: "code", subject_template: "Hi", body_html: "<p>Hi</p>" },
    });
    expect(created.status).toBe(201);
    const res = await api(marketing(workspace.id, "templates/code"), { method: "PATCH", token: key, body: { template_type: "visual" } });
    expect(res.status).toBe(422);
    expect(res.json.errors[0]).toMatchObject({ location: "body", path: "visual_definition" });
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
  it.fails("the webhook_url a provider response hands out has a route behind it", async () => {
    const { workspace, key } = await createWorkspace();
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
    expect(ses.json.webhook_url).toEqual(expect.any(String));
    const delivered = await api(pathOf(ses.json.webhook_url), { method: "POST", body: {} });
    expect(delivered.status).not.toBe(404);
  });
  it.fails("a POST without a body or Content-Type to a route whose body is optional is not a 500", async () => {
    const { workspace, key } = await createWorkspace();
    const created = await api(marketing(workspace.id, "subscribers"), {
      method: "POST",
      token: key,
      body: { email: "nobody@example.com" },
    });
    const domain = await insertDomain(workspace.id);
    const bare = (path: string, token?: string) =>
      exports.default.fetch(
        new Request(`http://flarecast.test${path}`, {
          method: "POST",
          headers: token ? { authorization: `Bearer ${token}` } : {},
          body: new ReadableStream({ start: (controller) => controller.close() }),
        }),
      );
    const unsubscribe = await bare(pathOf(created.json.unsubscribe_url));
    expect(unsubscribe.status).toBeLessThan(500);
    const pause = await bare(infra(workspace.id, `domains/${domain.id}/warming/pause`), key);
    expect(pause.status).toBeLessThan(500);
  });
});
