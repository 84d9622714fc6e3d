import type { SendingIdentity } from "../../db/schema";
import { conflict, SendError } from "../errors";
import { sampleSystemContext } from "../templates/templates";
import { routeForCampaign } from "./campaign-route";
import { getCampaign } from "./campaigns";
import type { DeliveryDeps } from "./deliver";
import { buildMessage, latestTemplateVersion, render, senderFor } from "./personalize";
import { ProviderSession } from "./provider-session";
import { loadSendingSetup } from "./sending-setup";

export const TEST_SUBJECT_PREFIX = "[Test] ";

export interface TestSendInput {
  emails: string[];
  /** Values layered over the sample recipient and the campaign's template_context. */
  context?: Record<string, unknown>;
}

export interface TestSendResult {
  email: string;
  status: "sent" | "failed";
  provider_id: string | null;
  sending_domain_id: string | null;
  sending_identity_id: string | null;
  provider_message_id: string | null;
  /** Why it was not sent: the router's reasons or the provider's answer. */
  reason: string | null;
}

/**
 * Sends the campaign's current template to a few addresses, through the route its recipients would take, with
 * the subject marked `[Test] `. Nothing is recorded against the campaign: a test address is not a recipient and
 * is not counted.
 */
export async function sendTestEmails(deps: DeliveryDeps, workspaceId: string, campaignId: string, input: TestSendInput, now: Date) {
  const { db } = deps;
  const campaign = await getCampaign(db, workspaceId, campaignId);
  const template = campaign.template_id ? await latestTemplateVersion(db, workspaceId, campaign.template_id) : null;
  if (!template) throw conflict("The campaign has no template to send; set template_id first");
  const setup = await loadSendingSetup(db, deps.env, workspaceId, campaign.sending_pool_id, now);
  const { state, workspace } = setup;
  const session = new ProviderSession(db, workspaceId, { encryptionKey: deps.encryptionKey, fetch: deps.fetch, timeoutMs: deps.timeoutMs });
  session.adopt(setup.providers, setup.domains);
  const identities = new Map<string, SendingIdentity>(setup.identities.map((i) => [i.id, i]));
  const samples = sampleSystemContext(workspace, deps.urls.PUBLIC_BASE_URL);

  const results: TestSendResult[] = [];
  for (const [index, email] of input.emails.entries()) {
    const result: TestSendResult = {
      email,
      status: "failed",
      provider_id: null,
      sending_domain_id: null,
      sending_identity_id: null,
      provider_message_id: null,
      reason: null,
    };
    results.push(result);
    const decision = routeForCampaign(state, campaign, { email, sequence: index });
    if (!decision.ok) {
      result.reason = `no route: ${decision.reasons.join("; ")}`;
      continue;
    }
    const sample = { ...samples, email, subscriber: { email, name: null, attributes: {} }, campaign_name: campaign.name };
    const rendered = await render(template, { ...sample, ...campaign.template_context, ...input.context });
    const failures: string[] = [];
    for (const route of [decision, ...decision.fallbacks]) {
      const domain = session.domain(route.domain_id);
      const identity = identities.get(route.identity_id);
      if (!domain || !identity) continue;
      const message = buildMessage({
        rendered,
        sender: senderFor(campaign, identity, domain),
        domain,
        recipient: { id: "test", email, recipient_name: null },
        campaign,
        unsubscribeUrl: String(samples.unsubscribe_url),
        stream: campaign.campaign_type === "triggered" ? "transactional" : "broadcast",
        now,
        subjectPrefix: TEST_SUBJECT_PREFIX,
        extraHeaders: { "X-Flarecast-Test": "1" },
      });
      try {
        const receipt = await session.send(route.provider_id, route.domain_id, message);
        Object.assign(result, {
          status: "sent",
          provider_id: route.provider_id,
          sending_domain_id: route.domain_id,
          sending_identity_id: route.identity_id,
          provider_message_id: receipt.providerMessageId,
          reason: null,
        });
        break;
      } catch (error) {
        const failure = error instanceof SendError ? error : new SendError("unknown", String(error));
        failures.push(`${route.provider_id}: ${failure.reason}`);
        // A permanent answer is about the address, and an unknown one may have been delivered: neither is retried elsewhere.
        if (failure.kind === "permanent" || failure.kind === "unknown") break;
      }
    }
    if (result.status === "failed") result.reason = failures.join("; ") || "no route could carry the message";
  }
  return results;
}
