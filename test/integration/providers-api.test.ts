import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createDb } from "../../src/db/client";
import { acquireProviderSends } from "../../src/domain/provider-accounts/provider-limits";
import { api, createWorkspace } from "../factories/api";
import { STAND_IN_CREDENTIALS as CREDS } from "../stand-ins/provider-credentials";

const base = (ws: string) => `/workspaces/${ws}/email-infrastructure/providers`;
const standIn = (provider: string) => `${env.TEST_PROVIDER_HTTP_URL}/${provider}`;

const SECRETS = [
  CREDS.ses.secret_access_key,
  CREDS.ses.access_key_id,
  CREDS.sendgrid.api_key,
  CREDS.mailgun.api_key,
  CREDS.postmark.server_token,
  CREDS.smtp.password,
  "whsec-mailgun-signing-key-0001",
];

const validProviders = () => [
  { name: "SES", provider_type: "ses", credentials: CREDS.ses, settings: { base_url: standIn("ses") } },
  { name: "SendGrid", provider_type: "sendgrid", credentials: CREDS.sendgrid, settings: { base_url: standIn("sendgrid") } },
  {
    name: "Mailgun",
    provider_type: "mailgun",
    credentials: CREDS.mailgun,
    settings: { base_url: standIn("mailgun"), webhook_signing_key: "whsec-mailgun-signing-key-0001" },
  },
  { name: "Postmark", provider_type: "postmark", credentials: CREDS.postmark, settings: { base_url: standIn("postmark") } },
  {
    name: "SMTP",
    provider_type: "smtp",
    credentials: { host: "127.0.0.1", port: Number(env.TEST_SMTP_PORT), tls: "none", ...CREDS.smtp },
  },
  { name: "Capture", provider_type: "capture", credentials: {} },
];

let logged: string[] = [];
beforeEach(() => {
  logged = [];
  for (const level of ["log", "info", "warn", "error", "debug"] as const) {
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
      logged.push(
        args.map((a) => (a instanceof Error ? `${a.message} ${a.stack}` : typeof a === "string" ? a : JSON.stringify(a))).join(" "),
      );
    });
  }
});
afterEach(() => {
  vi.restoreAllMocks();
  for (const secret of SECRETS) expect(logged.join("\n")).not.toContain(secret);
});

const expectNoSecret = (text: string) => {
  for (const secret of SECRETS) expect(text).not.toContain(secret);
};

describe("providers API", () => {
  it("creates every provider type, shows which credentials are set and never their values", async () => {
    const { workspace, key } = await createWorkspace();
    for (const body of validProviders()) {
      const created = await api(base(workspace.id), { method: "POST", token: key, body });
      expect(created.status, created.text).toBe(201);
      expectNoSecret(created.text);
      expect(created.json.provider_type).toBe(body.provider_type);
      expect(Object.keys(created.json.credentials_set).sort()).toEqual(Object.keys(body.credentials).sort());
      expect(Object.values(created.json.credentials_set).every((set) => set === true)).toBe(true);
      expect(created.json.webhook_url).toBe(
        ["ses", "sendgrid", "mailgun", "postmark"].includes(body.provider_type)
          ? `http://localhost:8787/webhooks/email/${body.provider_type}/${created.json.id}`
          : null,
      );
      const fetched = await api(`${base(workspace.id)}/${created.json.id}`, { token: key });
      expect(fetched.json).toEqual(created.json);
      expectNoSecret(fetched.text);
    }
    const listed = await api(base(workspace.id), { token: key });
    expect(listed.json.data).toHaveLength(6);
    expectNoSecret(listed.text);
    const mailgun = listed.json.data.find((p: { provider_type: string }) => p.provider_type === "mailgun");
    expect(mailgun.settings).toEqual({ base_url: standIn("mailgun"), webhook_signing_key_set: true });

    const { results } = await env.DB.prepare("select credentials, settings from email_providers where workspace_id = ?")
      .bind(workspace.id)
      .all();
    for (const row of results) expectNoSecret(JSON.stringify(row));
  });

  it("answers 422 with the path of each bad credential, and stores nothing", async () => {
    const { workspace, key } = await createWorkspace();
    const cases: [Record<string, unknown>, string][] = [
      [{ name: "x", provider_type: "ses", credentials: { access_key_id: "AKIA1", region: "us-east-1" } }, "credentials.secret_access_key"],
      [{ name: "x", provider_type: "ses", credentials: { ...CREDS.ses, region: "moon-1" } }, "credentials.region"],
      [{ name: "x", provider_type: "mailgun", credentials: { ...CREDS.mailgun, region: "asia" } }, "credentials.region"],
      [
        { name: "x", provider_type: "smtp", credentials: { host: "smtp.test", port: 70000, username: "u", password: "p" } },
        "credentials.port",
      ],
      [{ name: "x", provider_type: "sendgrid", credentials: { api_key: "SG.x", extra: 1 } }, "credentials.extra"],
      [{ name: "x", provider_type: "pigeon", credentials: {} }, "provider_type"],
      [{ name: "x", provider_type: "postmark", credentials: CREDS.postmark, settings: { base_url: "ftp://x" } }, "settings.base_url"],
    ];
    for (const [body, path] of cases) {
      const res = await api(base(workspace.id), { method: "POST", token: key, body });
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect(res.headers.get("content-type")).toContain("application/problem+json");
      expect(res.json.errors.map((e: { path: string }) => e.path)).toContain(path);
    }
    const listed = await api(base(workspace.id), { token: key });
    expect(listed.json.data).toEqual([]);
  });

  it("probes stored credentials against each provider's API and records the outcome", async () => {
    const { workspace, key } = await createWorkspace();
    for (const body of validProviders()) {
      const created = await api(base(workspace.id), { method: "POST", token: key, body });
      const tested = await api(`${base(workspace.id)}/${created.json.id}/test`, { method: "POST", token: key });
      expect(tested.status).toBe(200);
      expect(tested.json.ok, `${body.provider_type}: ${tested.json.detail}`).toBe(true);
      expect(tested.json.provider.last_check_status).toBe("ok");
      expect(tested.json.provider.last_check_at).toBe(tested.json.checked_at);
      expectNoSecret(tested.text);
    }
  });

  it("records a rejected key as a failed check, and a rotated key (merged into the rest) as ok again", async () => {
    const { workspace, key } = await createWorkspace();
    const created = await api(base(workspace.id), {
      method: "POST",
      token: key,
      body: {
        name: "Mailgun",
        provider_type: "mailgun",
        credentials: { ...CREDS.mailgun, api_key: "key-revoked-0000" },
        settings: { base_url: standIn("mailgun") },
      },
    });
    const failed = await api(`${base(workspace.id)}/${created.json.id}/test`, { method: "POST", token: key });
    expect(failed.json.ok).toBe(false);
    expect(failed.json.provider.last_check_status).toBe("failed");
    expect(failed.json.provider.last_error).toMatch(/401|rejected|forbidden/i);
    expect(failed.text).not.toContain("key-revoked-0000");

    const rotated = await api(`${base(workspace.id)}/${created.json.id}`, {
      method: "PATCH",
      token: key,
      body: { credentials: { api_key: CREDS.mailgun.api_key } },
    });
    expect(rotated.status, rotated.text).toBe(200);
    expect(rotated.json.last_check_status).toBeNull();
    expectNoSecret(rotated.text);
    const ok = await api(`${base(workspace.id)}/${created.json.id}/test`, { method: "POST", token: key });
    expect(ok.json.ok, ok.json.detail).toBe(true);

    const bad = await api(`${base(workspace.id)}/${created.json.id}`, {
      method: "PATCH",
      token: key,
      body: { credentials: { region: "mars" } },
    });
    expect(bad.status).toBe(422);
    expect(bad.json.errors[0].path).toBe("credentials.region");
    const typeChange = await api(`${base(workspace.id)}/${created.json.id}`, {
      method: "PATCH",
      token: key,
      body: { provider_type: "ses" },
    });
    expect(typeChange.status).toBe(422);
  });

  it("keeps one default provider, deletes, and hides providers from other workspaces", async () => {
    const { workspace, key } = await createWorkspace();
    const other = await createWorkspace();
    const first = await api(base(workspace.id), {
      method: "POST",
      token: key,
      body: { name: "A", provider_type: "capture", credentials: {}, is_default: true },
    });
    const second = await api(base(workspace.id), {
      method: "POST",
      token: key,
      body: { name: "B", provider_type: "capture", credentials: {}, is_default: true },
    });
    expect((await api(`${base(workspace.id)}/${first.json.id}`, { token: key })).json.is_default).toBe(false);
    expect(second.json.is_default).toBe(true);

    const foreign = await api(`${base(other.workspace.id)}/${first.json.id}`, { token: other.key });
    const missing = await api(`${base(other.workspace.id)}/prv_nothing`, { token: other.key });
    expect(foreign.status).toBe(404);
    expect(foreign.json).toEqual({ ...missing.json, instance: foreign.json.instance, request_id: foreign.json.request_id });
    expect((await api(`${base(other.workspace.id)}/${first.json.id}/test`, { method: "POST", token: other.key })).status).toBe(404);

    expect((await api(`${base(workspace.id)}/${first.json.id}`, { method: "DELETE", token: key })).status).toBe(204);
    expect((await api(`${base(workspace.id)}/${first.json.id}`, { token: key })).status).toBe(404);
  });

  it("enforces max_sends_per_day in the ProviderLimiter and mirrors the day's count to the API", async () => {
    const { workspace, key } = await createWorkspace();
    const created = await api(base(workspace.id), {
      method: "POST",
      token: key,
      body: { name: "Capped", provider_type: "capture", credentials: {}, max_sends_per_day: 120, max_sends_per_second: 1000 },
    });
    const db = createDb(env.DB);
    const now = new Date();
    const grants = await Promise.all(Array.from({ length: 50 }, () => acquireProviderSends(db, env, created.json.id, 3, now)));
    expect(grants.reduce((n, g) => n + g.granted, 0)).toBe(120);
    const fetched = await api(`${base(workspace.id)}/${created.json.id}`, { token: key });
    expect(fetched.json.current_daily_sends).toBe(120);
    expect(fetched.json.daily_sends_reset_at).toBe(`${now.toISOString().slice(0, 10)}T00:00:00.000Z`);

    await api(`${base(workspace.id)}/${created.json.id}`, { method: "PATCH", token: key, body: { max_sends_per_day: 130 } });
    expect((await acquireProviderSends(db, env, created.json.id, 50, now)).granted).toBe(10);

    // A new UTC day: the limiter starts again, and so does the count the API shows before the day's first send.
    const tomorrow = new Date(now.getTime() + 86_400_000);
    await env.DB.prepare("update email_providers set daily_sends_reset_at = ? where id = ?")
      .bind(`${new Date(now.getTime() - 86_400_000).toISOString().slice(0, 10)}T00:00:00.000Z`, created.json.id)
      .run();
    expect((await api(`${base(workspace.id)}/${created.json.id}`, { token: key })).json.current_daily_sends).toBe(0);
    expect((await acquireProviderSends(db, env, created.json.id, 200, tomorrow)).granted).toBe(130);
  });
});
