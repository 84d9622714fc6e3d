import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { newId } from "../../src/lib/ids";
import { api, createWorkspace } from "../factories/api";

let EMAIL = "";
let NAME = "";
let people = 0;

/** A subscriber with a trace in every table that can hold personal data; each test gets its own person. */
async function personWithHistory() {
  people++;
  EMAIL = `erin.erasure${people}@example.org`;
  NAME = `Erin Erasure-Müller ${people}`;
  const { workspace, key } = await createWorkspace();
  const call = (path: string, method = "GET", body?: unknown) =>
    api(`/workspaces/${workspace.id}/email-marketing${path}`, { method, token: key, body });
  await call("/categories", "POST", { slug: "marketing", name: "Marketing" });
  const { json: list } = await call("/lists", "POST", { name: "Newsletter" });
  await call(`/lists/${list.id}/subscribers`, "POST", {
    subscribers: [
      { email: EMAIL, name: NAME, attributes: { nickname: "Erin", city: `Lyon-${people}` } },
      { email: "other@example.org", name: "Other" },
    ],
  });
  const [sub] = (await call(`/subscribers?email=${EMAIL}`)).json.data;
  await call(`/subscribers/${sub.id}`, "PATCH", { preferences: { marketing: false }, status: "unsubscribed" });
  await call("/suppressions", "POST", { email: EMAIL, note: `asked by ${NAME}` });

  const ws = workspace.id;
  const now = new Date().toISOString();
  const campaign = newId("cmp");
  const recipient = newId("rcp");
  const importId = newId("imp");
  await env.DB.batch([
    env.DB.prepare(
      "insert into email_campaigns (id, workspace_id, name, status, template_context, created_at, updated_at) values (?, ?, 'Launch', 'sent', '{}', ?, ?)",
    ).bind(campaign, ws, now, now),
    env.DB.prepare(
      "insert into campaign_recipients (id, workspace_id, campaign_id, subscriber_id, email, recipient_name, context, status, created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?, 'opened', ?, ?)",
    ).bind(recipient, ws, campaign, sub.id, EMAIL, NAME, JSON.stringify({ first_name: "Erin", city: `Lyon-${people}` }), now, now),
    env.DB.prepare(
      "insert into tracking_events (id, workspace_id, campaign_id, recipient_id, subscriber_id, event_type, user_agent, occurred_at) values (?, ?, ?, ?, ?, 'open', ?, ?)",
    ).bind(newId("evt"), ws, campaign, recipient, sub.id, `Mozilla/5.0 (Erin laptop ${people})`, now),
    env.DB.prepare(
      "insert into provider_event_logs (id, workspace_id, provider_id, provider_type, provider_event_id, event_type, recipient_email, payload, occurred_at, received_at) values (?, ?, 'prv_1', 'ses', ?, 'delivery', ?, ?, ?, ?)",
    ).bind(newId("pel"), ws, newId("evt"), EMAIL, JSON.stringify({ mail: { destination: [EMAIL.toUpperCase()] } }), now, now),
    env.DB.prepare(
      "insert into dead_letters (id, workspace_id, queue, message_id, body, attempts, reason, created_at) values (?, ?, 'flarecast-send', ?, ?, 6, 'retries_exhausted', ?)",
    ).bind(newId("dlq"), ws, newId("msg"), JSON.stringify({ kind: "deliver", to: EMAIL }), now),
    env.DB.prepare(
      "insert into list_imports (id, workspace_id, list_id, status, created_at, updated_at) values (?, ?, ?, 'completed', ?, ?)",
    ).bind(importId, ws, list.id, now, now),
    env.DB.prepare(
      "insert into list_import_errors (workspace_id, import_id, row_number, value, reason) values (?, ?, 7, ?, 'duplicate')",
    ).bind(ws, importId, `"${EMAIL}","${NAME}"`),
  ]);
  return { workspace, call, sub, list };
}

async function everyRowAsText(): Promise<string> {
  const { results: tables } = await env.DB.prepare(
    "select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name not like '_cf_%' and name <> 'd1_migrations'",
  ).all<{ name: string }>();
  const dumps = await Promise.all(
    tables.map(async ({ name }) => JSON.stringify((await env.DB.prepare(`select * from "${name}"`).all()).results)),
  );
  return dumps.join("\n").toLowerCase();
}

describe("GDPR", () => {
  it("exports everything held about a subscriber", async () => {
    const { call, sub, list } = await personWithHistory();
    const res = await call(`/subscribers/${sub.id}/export`);
    expect(res.status).toBe(200);
    expect(res.json.subscriber).toMatchObject({ email: EMAIL, name: NAME, status: "unsubscribed", preferences: { marketing: false } });
    expect(res.json.subscriber).not.toHaveProperty("preference_token");
    expect(res.json.lists).toEqual([expect.objectContaining({ id: list.id, name: "Newsletter" })]);
    expect(res.json.subscription_changes).toEqual([expect.objectContaining({ action: "unsubscribed", source: "api" })]);
    expect(res.json.sends).toEqual([expect.objectContaining({ email: EMAIL, recipient_name: NAME, status: "opened" })]);
    expect(res.json.events).toEqual([expect.objectContaining({ event_type: "open" })]);
    expect(res.json.suppressions).toEqual([expect.objectContaining({ email: EMAIL, reason: "manual" })]);
  });

  it("erases the person's data from every table and keeps them from coming back", async () => {
    const { call, sub, list } = await personWithHistory();
    expect(await everyRowAsText()).toContain(EMAIL);

    const res = await call(`/subscribers/${sub.id}?erase=true`, "DELETE");
    expect(res.status).toBe(204);
    const text = await everyRowAsText();
    for (const trace of [EMAIL, NAME.toLowerCase(), `lyon-${people}`, `erin laptop ${people}`]) expect(text, trace).not.toContain(trace);
    expect(text).toContain("other@example.org");

    expect((await call(`/subscribers/${sub.id}`)).status).toBe(404);
    const again = await call(`/lists/${list.id}/subscribers`, "POST", { subscribers: [{ email: EMAIL.toUpperCase() }] });
    expect(again.json).toMatchObject({ created: 0, skipped: 1, skipped_rows: [{ index: 0, reason: "erased" }] });

    const { results: sends } = await env.DB.prepare("select status, email from campaign_recipients").all<{
      status: string;
      email: string;
    }>();
    expect(sends.map((s) => s.status)).toContain("opened");
    const [erased] = (await call("/suppressions")).json.data;
    expect(erased).toMatchObject({ email: null, reason: "erased" });
    expect((await call(`/suppressions/${erased.id}`, "DELETE")).status).toBe(409);
  });

  it("deletes without erasing when erase is not asked for, and rejects a bad flag", async () => {
    const { call, sub } = await personWithHistory();
    expect((await call(`/subscribers/${sub.id}?erase=maybe`, "DELETE")).status).toBe(422);
    expect((await call(`/subscribers/${sub.id}`, "DELETE")).status).toBe(204);
    expect(await everyRowAsText()).toContain(EMAIL);
  });
});
