import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { alerts, campaignRecipients, emailCampaigns, sendingDomains } from "../../src/db/schema";
import { routeForCampaign } from "../../src/domain/campaigns/campaign-route";
import { applyEvents } from "../../src/domain/events/cascade";
import { COMPLAINT_GUARD_MIN_SENDS } from "../../src/domain/events/complaint-guard";
import type { ProviderEvent } from "../../src/domain/events/event-messages";
import { loadRoutingState } from "../../src/domain/routing/route-loader";
import { rowsPerInsert } from "../../src/lib/chunk";
import { newId } from "../../src/lib/ids";
import { api, createWorkspace } from "../factories/api";
import { db, type SendingSetup, sendingSetup } from "../factories/campaigns";

const now = new Date();
const hoursAgo = (h: number) => new Date(now.getTime() - h * 3_600_000).toISOString();

/** A domain that sent `sends` campaign messages in the last few hours. */
async function domainWithSends(sends: number) {
  const setup = await sendingSetup({ subscribers: [{ email: "someone@example.com" }] });
  const campaignId = newId("cmp");
  await db.insert(emailCampaigns).values({ id: campaignId, workspace_id: setup.workspace.id, name: "Promo", status: "sending" });
  const ids: string[] = [];
  const rows = Array.from({ length: sends }, (_, i) => {
    const id = newId("rcp");
    ids.push(id);
    return {
      id,
      workspace_id: setup.workspace.id,
      campaign_id: campaignId,
      run_id: "run_promo",
      email: `reader${i}@example.net`,
      status: "delivered" as const,
      sending_domain_id: setup.domain.id,
      sent_at: hoursAgo(3),
    };
  });
  for (let i = 0; i < rows.length; i += rowsPerInsert(16)) await db.insert(campaignRecipients).values(rows.slice(i, i + rowsPerInsert(16)));
  let complained = 0;
  const complain = async (count: number) => {
    const events: ProviderEvent[] = ids.slice(complained, complained + count).map((recipientId) => ({
      kind: "provider_event",
      workspace_id: setup.workspace.id,
      provider_id: setup.providers[0].id,
      provider_type: "ses",
      provider_event_id: crypto.randomUUID(),
      event_type: "complaint",
      bounce_type: null,
      provider_message_id: null,
      recipient_email: null,
      campaign_id: campaignId,
      recipient_id: recipientId,
      reason: "abuse",
      url: null,
      user_agent: null,
      occurred_at: hoursAgo(1),
      payload: {},
    }));
    complained += count;
    await applyEvents(db, env, events, now);
  };
  return { setup, complain };
}

const domainOf = (setup: SendingSetup) => db.select().from(sendingDomains).where(eq(sendingDomains.id, setup.domain.id)).get();
const alertsOf = (setup: SendingSetup) =>
  db
    .select({ severity: alerts.severity, alert_type: alerts.alert_type, target_id: alerts.target_id, message: alerts.message })
    .from(alerts)
    .where(eq(alerts.workspace_id, setup.workspace.id));

async function route(setup: SendingSetup, marketing: boolean) {
  const state = await loadRoutingState(db, env, setup.workspace.id, null, new Date());
  return routeForCampaign(state, { routing_config: null, sending_identity_id: null }, { email: "x@example.org", sequence: 0, marketing });
}

describe("the complaint-rate guard", () => {
  it("warns past 0.1 % and pauses marketing past 0.3 % of a domain's sends over 24 h, once", async () => {
    const { setup, complain } = await domainWithSends(COMPLAINT_GUARD_MIN_SENDS);
    await complain(1);
    expect(await alertsOf(setup)).toEqual([]);

    await complain(1);
    expect(await alertsOf(setup)).toMatchObject([
      { severity: "warning", alert_type: "complaint_rate_warning", target_id: setup.domain.id },
    ]);
    await complain(1);
    expect(await alertsOf(setup)).toHaveLength(1);
    expect((await domainOf(setup))?.marketing_paused_at).toBeNull();

    await complain(1);
    const paused = await domainOf(setup);
    expect(paused?.marketing_paused_at).toBe(now.toISOString());
    expect(paused?.marketing_pause_reason).toBe("complaint rate 0.40% over the last 24 h (4 complaints / 1000 sends)");
    const critical = (await alertsOf(setup)).filter((a) => a.severity === "critical");
    expect(critical).toHaveLength(1);
    expect(critical[0]).toMatchObject({ alert_type: "complaint_rate_critical", target_id: setup.domain.id });

    await complain(2);
    expect((await alertsOf(setup)).filter((a) => a.severity === "critical")).toHaveLength(1);
    expect((await domainOf(setup))?.marketing_paused_at).toBe(now.toISOString());
  });

  it("does not judge a domain below the minimum number of sends", async () => {
    const { setup, complain } = await domainWithSends(COMPLAINT_GUARD_MIN_SENDS - 1);
    await complain(10);
    expect(await alertsOf(setup)).toEqual([]);
    expect((await domainOf(setup))?.marketing_paused_at).toBeNull();
  });

  it("keeps campaign runs off a paused domain while triggered sends go on, until an operator lifts the pause", async () => {
    const { setup, complain } = await domainWithSends(COMPLAINT_GUARD_MIN_SENDS);
    expect((await route(setup, true)).ok).toBe(true);
    await complain(4);

    const shown = await setup.infra(`/domains/${setup.domain.id}`);
    expect(shown.json.marketing_paused_at).toBe(now.toISOString());
    expect(shown.json.marketing_pause_reason).toMatch(/^complaint rate 0\.40%/);
    const marketing = await route(setup, true);
    expect(marketing.ok).toBe(false);
    expect(marketing.reasons.join("; ")).toMatch(/marketing paused/);
    expect((await route(setup, false)).ok).toBe(true);

    const lifted = await setup.infra(`/domains/${setup.domain.id}/marketing-pause/lift`, "POST");
    expect(lifted.status, lifted.text).toBe(200);
    expect(lifted.json).toMatchObject({ id: setup.domain.id, marketing_paused_at: null, marketing_pause_reason: null });
    expect((await route(setup, true)).ok).toBe(true);
  });

  it("answers 404 for another workspace's domain and leaves its pause alone", async () => {
    const { setup, complain } = await domainWithSends(COMPLAINT_GUARD_MIN_SENDS);
    await complain(4);
    const other = await createWorkspace();
    const res = await api(`/workspaces/${other.workspace.id}/email-infrastructure/domains/${setup.domain.id}/marketing-pause/lift`, {
      method: "POST",
      token: other.key,
    });
    expect(res.status).toBe(404);
    expect((await domainOf(setup))?.marketing_paused_at).toBe(now.toISOString());
  });
});
