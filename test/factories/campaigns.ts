import { env } from "cloudflare:workers";
import { and, eq } from "drizzle-orm";
import { createDb } from "../../src/db/client";
import {
  type CampaignRun,
  campaignRuns,
  type EmailCampaign,
  emailCampaigns,
  emailTemplateVersions,
  sendingDomains,
  subscribers,
} from "../../src/db/schema";
import { type DeliveryDeps, type DeliveryOutcome, deliverBatch } from "../../src/domain/campaigns/deliver";
import {
  DEFAULT_TIMINGS,
  type DispatchStep,
  type DispatchTimings,
  dispatchStep,
  initialDispatchState,
} from "../../src/domain/campaigns/dispatch";
import type { SendEmailMessage } from "../../src/domain/campaigns/send-message";
import { newId } from "../../src/lib/ids";
import { TEST_SECRETS } from "../secrets";
import { STAND_IN_CREDENTIALS } from "../stand-ins/provider-credentials";
import { api, createWorkspace } from "./api";
import { domainRow } from "./infrastructure";

export const db = createDb(env.DB);

export interface SendingSetupOptions {
  subscribers?: { email: string; name?: string; attributes?: Record<string, unknown> }[];
  providers?: Record<string, unknown>[];
  template?: Record<string, unknown>;
  timezone?: string;
}

/**
 * A workspace that can send through the API: a template, a list of subscribers, providers (capture unless
 * given), a sending domain and a default identity on it.
 */
export async function sendingSetup(options: SendingSetupOptions = {}) {
  const { workspace, key } = await createWorkspace({ timezone: options.timezone ?? "UTC", postal_address: "1 Test Street, Testville" });
  const marketing = (path: string, method = "GET", body?: unknown) =>
    api(`/workspaces/${workspace.id}/email-marketing${path}`, { method, token: key, body });
  const infra = (path: string, method = "GET", body?: unknown) =>
    api(`/workspaces/${workspace.id}/email-infrastructure${path}`, { method, token: key, body });
  const expectCreated = <T extends { status: number; text: string; json: any }>(res: T, what: string) => {
    if (res.status !== 201) throw new Error(`${what}: ${res.status} ${res.text}`);
    return res.json;
  };

  const providers = [];
  for (const body of options.providers ?? [{ name: "Capture", provider_type: "capture", credentials: {}, is_default: true }]) {
    providers.push(expectCreated(await infra("/providers", "POST", body), "provider"));
  }
  const host = `news-${crypto.randomUUID().slice(0, 8)}.example.com`;
  const domain = expectCreated(await infra("/domains", "POST", { domain: host, default_from_name: "Acme News" }), "domain");
  const identity = expectCreated(
    await infra("/identities", "POST", { domain_id: domain.id, email: `news@${host}`, is_default: true }),
    "identity",
  );
  const template = expectCreated(
    await marketing(
      "/templates",
      "POST",
      options.template ?? {
        name: `Newsletter ${newId("t")}`,
        subject_template: "Hello {{ first_name | default: 'friend' }}",
        body_html: "<p>Hi {{ first_name | default: 'friend' }}, news for {{ email }}.</p><a href=\"{{ unsubscribe_url }}\">Unsubscribe</a>",
      },
    ),
    "template",
  );
  const list = expectCreated(await marketing("/lists", "POST", { name: "Everyone" }), "list");
  const people = options.subscribers ?? [{ email: "ada@example.com", attributes: { first_name: "Ada" } }, { email: "grace@example.com" }];
  for (let i = 0; i < people.length; i += 1000) {
    const added = await marketing(`/lists/${list.id}/subscribers`, "POST", { subscribers: people.slice(i, i + 1000) });
    if (added.status >= 300) throw new Error(`subscribers: ${added.status} ${added.text}`);
  }
  const rows = await db.select().from(subscribers).where(eq(subscribers.workspace_id, workspace.id));
  return { workspace, key, marketing, infra, providers, domain, identity, template, list, subscribers: rows };
}

export type SendingSetup = Awaited<ReturnType<typeof sendingSetup>>;

/** A campaign with a run already started (status `sending`), written straight to D1 as startRun leaves them. */
export async function startedRun(setup: SendingSetup, overrides: Partial<typeof emailCampaigns.$inferInsert> = {}) {
  const version = await db
    .select({ version: emailTemplateVersions.version })
    .from(emailTemplateVersions)
    .where(eq(emailTemplateVersions.template_id, setup.template.id))
    .get();
  const now = new Date().toISOString();
  const campaignId = newId("cmp");
  const runId = newId("run");
  await db.insert(emailCampaigns).values({
    id: campaignId,
    workspace_id: setup.workspace.id,
    name: "Launch",
    status: "sending",
    template_id: setup.template.id,
    list_id: setup.list.id,
    current_run_id: runId,
    run_count: 1,
    started_at: now,
    ...overrides,
  });
  await db.insert(campaignRuns).values({
    id: runId,
    workspace_id: setup.workspace.id,
    campaign_id: campaignId,
    run_number: 1,
    template_id: setup.template.id,
    template_version: version?.version ?? 1,
    scheduled_for: now,
    started_at: now,
  });
  return { campaignId, runId };
}

export async function readCampaign(id: string): Promise<EmailCampaign> {
  return (await db.select().from(emailCampaigns).where(eq(emailCampaigns.id, id)).get()) as EmailCampaign;
}

export async function readRun(id: string): Promise<CampaignRun> {
  return (await db.select().from(campaignRuns).where(eq(campaignRuns.id, id)).get()) as CampaignRun;
}

export const deliveryDeps = (overrides: Partial<DeliveryDeps> = {}): DeliveryDeps => ({
  db,
  env,
  urls: { PUBLIC_BASE_URL: "https://flarecast.test", TRACKING_SIGNING_KEY: TEST_SECRETS.TRACKING_SIGNING_KEY },
  encryptionKey: TEST_SECRETS.ENCRYPTION_KEY,
  ...overrides,
});

interface QueuedMessage {
  body: SendEmailMessage;
  availableAt: number;
}

export interface DriveOptions {
  /** Virtual start time; every step advances it by one second, retries by their delay. */
  startAt?: number;
  ratePerMinute?: number;
  batchSize?: number;
  maxSteps?: number;
  timings?: DispatchTimings;
  /** Sees each batch before delivery: return the messages to deliver (drop some to lose them). */
  onBatch?: (messages: SendEmailMessage[], step: number) => SendEmailMessage[];
  /** Delivers a batch; the default is deliverBatch with deliveryDeps(). */
  deliver?: (ids: string[], now: Date) => Promise<Map<string, DeliveryOutcome>>;
  /** Called before each dispatch step, e.g. to pause or resume the campaign at a chosen point. */
  beforeStep?: (step: number, now: number) => Promise<void>;
}

/**
 * Runs a campaign run to its end the way production does, with a simulated queue and clock: dispatcher steps
 * (fan-out, repair, rate-limited enqueueing, completion) interleaved with consumer batches, retries delivered
 * after their delay. Returns the steps taken and the last step.
 */
export async function driveRun(runId: string, options: DriveOptions = {}) {
  let now = options.startAt ?? Date.now();
  let state = initialDispatchState(runId, now);
  const queue: QueuedMessage[] = [];
  const deliver = options.deliver ?? ((ids: string[], at: Date) => deliverBatch(deliveryDeps(), ids, at));
  let last: DispatchStep | undefined;
  let steps = 0;
  for (; steps < (options.maxSteps ?? 500); steps++) {
    await options.beforeStep?.(steps, now);
    last = await dispatchStep(
      {
        db,
        defaultRatePerMinute: options.ratePerMinute ?? 600_000,
        enqueue: async (messages) => {
          queue.push(...messages.map((body) => ({ body, availableAt: now })));
        },
        timings: options.timings ?? DEFAULT_TIMINGS,
      },
      state,
      now,
    );
    state = last.state;
    if (last.phase === "done") break;
    const due = queue.filter((m) => m.availableAt <= now);
    for (let i = 0; i < due.length; i += options.batchSize ?? 50) {
      const batch = due.slice(i, i + (options.batchSize ?? 50));
      for (const m of batch) queue.splice(queue.indexOf(m), 1);
      const delivered = options.onBatch
        ? options.onBatch(
            batch.map((m) => m.body),
            steps,
          )
        : batch.map((m) => m.body);
      let outcomes: Map<string, DeliveryOutcome>;
      try {
        outcomes = await deliver(
          delivered.map((m) => m.recipient_id),
          new Date(now),
        );
      } catch {
        for (const body of delivered) queue.push({ body, availableAt: now + 30_000 });
        continue;
      }
      for (const body of delivered) {
        const outcome = outcomes.get(body.recipient_id);
        if (outcome && !outcome.ack) queue.push({ body, availableAt: now + outcome.delaySeconds * 1000 });
      }
    }
    const waits = [last.next_at ?? now + 1000, ...queue.map((m) => m.availableAt)].filter((t) => t > now);
    now = waits.length ? Math.min(now + 1000, ...waits) : now + 1000;
    if (last.next_at !== null && last.next_at > now && queue.length === 0) now = last.next_at;
  }
  return { last, steps, now };
}

export async function subscriberId(workspaceId: string, email: string): Promise<string> {
  const row = await db
    .select({ id: subscribers.id })
    .from(subscribers)
    .where(and(eq(subscribers.workspace_id, workspaceId), eq(subscribers.email, email)))
    .get();
  if (!row) throw new Error(`no subscriber ${email}`);
  return row.id;
}

/**
 * A send window that is closed now (it opens in two hours), so that a started run keeps its one reader `pending`
 * and the campaign stays `sending` while a test looks at it: the real dispatcher runs in these tests.
 */
export function closedWindow(now = new Date()) {
  const at = (hours: number) => new Date(now.getTime() + hours * 3_600_000).toISOString().slice(11, 16);
  return { start: at(2), end: at(3), timezone: "UTC" };
}

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
  await call(`email-marketing/lists/${list.json.id}/subscribers`, "POST", { subscribers: [{ email: "reader@example.com" }] });
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
    const res = await campaigns("", "POST", {
      name: "December",
      template_id: template.json.id,
      list_id: list.json.id,
      send_window: closedWindow(),
      ...overrides,
    });
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
