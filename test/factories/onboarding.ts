import { eq } from "drizzle-orm";
import {
  campaignRecipients,
  capturedMessages,
  emailCampaigns,
  type OnboardingStep,
  onboardingFlows,
  onboardingFlowVersions,
  onboardingProgressSteps,
  userOnboardingProgress,
} from "../../src/db/schema";
import { newId } from "../../src/lib/ids";
import { db, type SendingSetup, type SendingSetupOptions, sendingSetup } from "./campaigns";

/**
 * A workspace that can send (capture provider, domain, identity) with onboarding emails: one triggered campaign with
 * its own template per name, as a flow's resolved email step references them.
 */
export async function onboardingSetup(emails: string[], options: { subscribers?: SendingSetupOptions["subscribers"] } = {}) {
  const setup = await sendingSetup({ subscribers: options.subscribers ?? [{ email: "new.user@example.com", name: "New User" }] });
  const campaigns: Record<string, { campaign_id: string; template_id: string }> = {};
  for (const name of emails) campaigns[name] = await triggeredCampaign(setup, name);
  return { ...setup, campaigns };
}

export type OnboardingSetup = Awaited<ReturnType<typeof onboardingSetup>>;

/** A triggered campaign whose template's subject is the given name, so a captured message says which email it is. */
export async function triggeredCampaign(setup: SendingSetup, name: string) {
  const template = await setup.marketing("/templates", "POST", {
    name: `Onboarding ${name} ${newId("t")}`,
    subject_template: name,
    body_html: `<p>${name} for {{ email }}</p><a href="{{ unsubscribe_url }}">Unsubscribe</a>`,
  });
  if (template.status !== 201) throw new Error(`template: ${template.status} ${template.text}`);
  const campaignId = newId("cmp");
  await db.insert(emailCampaigns).values({
    id: campaignId,
    workspace_id: setup.workspace.id,
    name: `Onboarding · ${name}`,
    campaign_type: "triggered",
    template_id: template.json.id,
  });
  return { campaign_id: campaignId, template_id: template.json.id as string };
}

/** The resolved email step for one of the setup's campaigns. */
export const emailStep = (setup: OnboardingSetup, name: string, delay = 0, id = name): OnboardingStep => ({
  id,
  type: "email",
  delay,
  ...setup.campaigns[name],
});

export interface FlowOptions {
  slug?: string;
  on_unsubscribe?: "stop" | "continue";
  is_active?: boolean;
}

/** A flow and its version 1 written straight to D1, as the flow API leaves them. */
export async function insertFlow(workspaceId: string, steps: OnboardingStep[], options: FlowOptions = {}) {
  const id = newId("obf");
  const slug = options.slug ?? `flow-${id.slice(-8).toLowerCase()}`;
  const onUnsubscribe = options.on_unsubscribe ?? "stop";
  await db.batch([
    db.insert(onboardingFlows).values({
      id,
      workspace_id: workspaceId,
      name: `Flow ${slug}`,
      slug,
      steps,
      version: 1,
      on_unsubscribe: onUnsubscribe,
      is_active: options.is_active ?? true,
    }),
    db.insert(onboardingFlowVersions).values({ workspace_id: workspaceId, flow_id: id, version: 1, steps, on_unsubscribe: onUnsubscribe }),
  ]);
  return { id, slug };
}

/** Saves a new version of the flow's steps, as an edit through the flow API does. */
export async function insertFlowVersion(workspaceId: string, flowId: string, version: number, steps: OnboardingStep[]) {
  await db.batch([
    db.insert(onboardingFlowVersions).values({ workspace_id: workspaceId, flow_id: flowId, version, steps, on_unsubscribe: "stop" }),
    db.update(onboardingFlows).set({ version, steps }).where(eq(onboardingFlows.id, flowId)),
  ]);
}

export const readProgress = async (id: string) => db.select().from(userOnboardingProgress).where(eq(userOnboardingProgress.id, id)).get();

export const progressHistory = (id: string) =>
  db.select().from(onboardingProgressSteps).where(eq(onboardingProgressSteps.progress_id, id)).orderBy(onboardingProgressSteps.step_index);

/** The subjects of the messages the capture provider got for a campaign, one per message. */
export async function capturedSubjects(setup: OnboardingSetup, name: string) {
  const rows = await db.select().from(capturedMessages).where(eq(capturedMessages.campaign_id, setup.campaigns[name].campaign_id));
  return rows.map((r) => r.subject);
}

export const recipientsOf = (setup: OnboardingSetup, name: string) =>
  db.select().from(campaignRecipients).where(eq(campaignRecipients.campaign_id, setup.campaigns[name].campaign_id));
