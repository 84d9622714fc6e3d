import { env } from "cloudflare:workers";
import { createDb } from "../../src/db/client";
import { sendingDomains } from "../../src/db/schema";
import { STAND_IN_CREDENTIALS } from "../stand-ins/provider-credentials";
import { api, createWorkspace } from "./api";
import { domainRow } from "./infrastructure";

let domains = 0;

/** A sending domain row in the given status, written straight to D1 (verification is not what these tests are about). */
export async function insertSendingDomain(workspaceId: string, status: "verified" | "pending" | "failed" | "warming" | "active") {
  domains += 1;
  const row = domainRow(workspaceId, { status, domain: `mail${domains}-${crypto.randomUUID().slice(0, 8)}.example.com` });
  await createDb(env.DB).insert(sendingDomains).values(row);
  return row;
}

/**
 * A workspace with what a campaign references: a template, a list, a verified domain with an identity and a
 * provider (capture unless told otherwise). `call` speaks to /workspaces/{ws}/<path>.
 */
export async function campaignWorkspace({ provider = "capture" }: { provider?: "capture" | "smtp" | null } = {}) {
  const { workspace, key } = await createWorkspace();
  const call = (path: string, method = "GET", body?: unknown) => api(`/workspaces/${workspace.id}/${path}`, { method, token: key, body });
  const template = await call("email-marketing/templates", "POST", {
    name: "Newsletter",
    subject_template: "News for {{ recipient_name }}",
    body_html: "<p>Hello {{ recipient_name }}</p><a href='{{ unsubscribe_url }}'>Unsubscribe</a>",
  });
  const list = await call("email-marketing/lists", "POST", { name: "Readers" });
  const domain = await insertSendingDomain(workspace.id, "verified");
  const identity = await call("email-infrastructure/identities", "POST", {
    domain_id: domain.id,
    email: `news@${domain.domain}`,
    is_default: true,
  });
  const providers = {
    capture: { name: "Capture", provider_type: "capture", credentials: {} },
    smtp: {
      name: "SMTP",
      provider_type: "smtp",
      credentials: { host: "127.0.0.1", port: Number(env.TEST_SMTP_PORT), tls: "none", ...STAND_IN_CREDENTIALS.smtp },
    },
  };
  const created = provider ? [await call("email-infrastructure/providers", "POST", providers[provider])] : [];
  for (const res of [template, list, identity, ...created])
    if (res.status !== 201) throw new Error(`campaign setup failed: ${res.status} ${res.text}`);
  const campaigns = (path = "", method = "GET", body?: unknown) => call(`email-marketing/campaigns${path}`, method, body);
  const draft = async (overrides: Record<string, unknown> = {}) => {
    const res = await campaigns("", "POST", { name: "December", template_id: template.json.id, list_id: list.json.id, ...overrides });
    if (res.status !== 201) throw new Error(`campaign creation failed: ${res.status} ${res.text}`);
    return res.json;
  };
  return {
    workspace,
    key,
    call,
    campaigns,
    draft,
    template: template.json,
    list: list.json,
    domain,
    identity: identity.json,
  };
}
