import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, inject, it } from "vitest";
import { campaignRecipients, emailProviders, sendingDomains } from "../../src/db/schema";
import { deliverBatch, RETRIES_BEFORE_FAILOVER } from "../../src/domain/campaigns/deliver";
import { db, deliveryDeps, driveRun, readCampaign, type SendingSetup, sendingSetup, startedRun } from "../factories/campaigns";
import { asStandIn, publish } from "../stand-ins/doh-zone";
import { STAND_IN_CREDENTIALS as CREDS } from "../stand-ins/provider-credentials";

const standIn = (provider: string) => `${env.TEST_PROVIDER_HTTP_URL}/${provider}`;
const postmark = (credentials: Record<string, unknown> = CREDS.postmark) => ({
  name: "Postmark",
  provider_type: "postmark",
  credentials,
  settings: { base_url: standIn("postmark") },
  priority: 1,
  is_default: true,
});
const capture = { name: "Backup capture", provider_type: "capture", credentials: {}, priority: 2 };

async function verified(setup: SendingSetup) {
  await db.update(sendingDomains).set({ status: "verified" }).where(eq(sendingDomains.id, setup.domain.id));
  return setup;
}

const recipientsOf = async (campaignId: string) =>
  Object.fromEntries(
    (await db.select().from(campaignRecipients).where(eq(campaignRecipients.campaign_id, campaignId))).map((r) => [r.email, r]),
  );

async function sentAt(provider: string, to: string): Promise<number> {
  const res = await fetch(`${standIn(provider)}/_sent?to=${encodeURIComponent(to)}`);
  const body = (await res.json()) as unknown[] | { messages?: unknown[] };
  return Array.isArray(body) ? body.length : (body.messages?.length ?? 0);
}

describe("provider outcomes in a campaign", () => {
  it("sends through the first provider, fails over after retries, fails the permanently refused and leaves a timeout unknown", async () => {
    const setup = await verified(
      await sendingSetup({
        providers: [postmark(), capture],
        subscribers: [
          { email: "ok@example.com" },
          { email: "flaky@example.com" },
          { email: "reject@example.com" },
          { email: "hang@example.com" },
        ],
      }),
    );
    const [postmarkProvider, captureProvider] = setup.providers;
    const { campaignId, runId } = await startedRun(setup);
    const { last } = await driveRun(runId, {
      deliver: (ids, now) => deliverBatch(deliveryDeps({ timeoutMs: 300 }), ids, now),
      maxSteps: 3000,
    });
    expect(last?.phase).toBe("done");
    const r = await recipientsOf(campaignId);
    expect(r["ok@example.com"]).toMatchObject({ status: "sent", provider_id: postmarkProvider.id });
    expect(await sentAt("postmark", "ok@example.com")).toBe(1);
    expect(r["flaky@example.com"]).toMatchObject({ status: "sent", provider_id: captureProvider.id, attempts: RETRIES_BEFORE_FAILOVER });
    expect(r["flaky@example.com"].failed_provider_ids).toEqual([postmarkProvider.id]);
    expect(r["reject@example.com"]).toMatchObject({
      status: "failed",
      failure_reason: "provider_rejected",
      provider_id: postmarkProvider.id,
    });
    expect(r["reject@example.com"].failure_detail).toMatch(/\S/);
    expect(r["hang@example.com"]).toMatchObject({ status: "unknown", failure_reason: "outcome_unknown" });
    expect(await readCampaign(campaignId)).toMatchObject({ status: "sent", sent_count: 2, failed_count: 1, unknown_count: 1 });
  });

  it("waits as long as a throttling provider asks", async () => {
    const setup = await verified(await sendingSetup({ providers: [postmark()], subscribers: [{ email: "throttle+7@example.com" }] }));
    const { runId } = await startedRun(setup);
    const [recipient] = await db.select().from(campaignRecipients).where(eq(campaignRecipients.run_id, runId));
    expect(recipient).toBeUndefined();
    await driveRun(runId, {
      maxSteps: 3,
      deliver: async (ids, now) => {
        const outcomes = await deliverBatch(deliveryDeps(), ids, now);
        for (const outcome of outcomes.values()) expect(outcome).toEqual({ ack: false, delaySeconds: 7 });
        return outcomes;
      },
    });
    const [retried] = await db.select().from(campaignRecipients).where(eq(campaignRecipients.run_id, runId));
    expect(retried).toMatchObject({ status: "pending", attempts: 1 });
  });

  it("routes around a provider whose credentials are refused, and marks it unhealthy", async () => {
    const setup = await verified(
      await sendingSetup({
        providers: [postmark({ ...CREDS.postmark, server_token: "not-the-token" }), capture],
        subscribers: [{ email: "a@example.com" }],
      }),
    );
    const [broken, backup] = setup.providers;
    const { campaignId, runId } = await startedRun(setup);
    await driveRun(runId);
    const r = await recipientsOf(campaignId);
    expect(r["a@example.com"]).toMatchObject({ status: "sent", provider_id: backup.id, attempts: 1 });
    const provider = await db.select().from(emailProviders).where(eq(emailProviders.id, broken.id)).get();
    expect(provider).toMatchObject({ last_check_status: "failed" });
    expect(provider?.last_error).toContain("401");
  });

  it("fails a recipient whose retries are exhausted when the campaign may not fail over", async () => {
    const setup = await verified(await sendingSetup({ providers: [postmark(), capture], subscribers: [{ email: "flaky@example.com" }] }));
    const { campaignId, runId } = await startedRun(setup, {
      routing_config: { strategy: "priority", preferred_providers: ["postmark"], fallback_enabled: false },
    });
    await driveRun(runId, { maxSteps: 5000 });
    const r = await recipientsOf(campaignId);
    expect(r["flaky@example.com"]).toMatchObject({ status: "failed", failure_reason: "retries_exhausted" });
  });

  it("needs a verified domain for a real provider: a pending domain's recipients fail with no_route", async () => {
    const setup = await sendingSetup({ providers: [postmark()], subscribers: [{ email: "a@example.com" }] });
    const { campaignId, runId } = await startedRun(setup);
    await driveRun(runId);
    const r = await recipientsOf(campaignId);
    expect(r["a@example.com"]).toMatchObject({ status: "failed", failure_reason: "no_route" });
    expect(r["a@example.com"].failure_detail).toContain("status pending");
  });
});

describe("a campaign through SMTP", () => {
  it("arrives at a real SMTP server signed with the sending domain's own DKIM key", async () => {
    const setup = await verified(
      await sendingSetup({
        providers: [
          {
            name: "Relay",
            provider_type: "smtp",
            credentials: { host: "127.0.0.1", port: Number(env.TEST_SMTP_PORT), tls: "none", ...CREDS.smtp },
            is_default: true,
          },
        ],
        subscribers: [{ email: `ada+${crypto.randomUUID().slice(0, 8)}@example.org`, attributes: { first_name: "Ada" } }],
      }),
    );
    await publish(asStandIn(setup.domain.dns_records.dkim));
    const { campaignId, runId } = await startedRun(setup);
    await driveRun(runId);
    const [recipient] = await db.select().from(campaignRecipients).where(eq(campaignRecipients.campaign_id, campaignId));
    expect(recipient).toMatchObject({ status: "sent" });
    const ports = inject("smtpStandInPorts");
    const received = (await (
      await fetch(`http://127.0.0.1:${ports.received}/messages?to=${encodeURIComponent(recipient.email)}`)
    ).json()) as {
      dkim: { result: string; domain: string } | null;
    }[];
    expect(received).toHaveLength(1);
    expect(received[0].dkim).toMatchObject({ result: "pass", domain: setup.domain.domain });
  });
});
