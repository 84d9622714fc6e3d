import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { vi } from "vitest";
import { QUEUES } from "../../queues/messages";
import { capturedMessages, onboardingFlows } from "../../src/db/schema";
import type { AutomationEventMessage } from "../../src/domain/automation/events";
import worker from "../../src/index";
import { newId } from "../../src/lib/ids";
import { db, type SendingSetup, sendingSetup, startedRun } from "./campaigns";

/** Stands in for AUTOMATION_QUEUE: what POST .../events queued is collected here, to be delivered by `deliver`. */
export function captureAutomationQueue() {
  const queued: AutomationEventMessage[] = [];
  const sendBatch = vi.spyOn(env.AUTOMATION_QUEUE, "sendBatch").mockImplementation(async (batch) => {
    for (const m of batch) queued.push(structuredClone(m.body) as AutomationEventMessage);
    return { metadata: { metrics: { backlogCount: queued.length, backlogBytes: 0 } } };
  });
  return { queued, sendBatch };
}

let messageCounter = 0;

export interface Delivery {
  id?: string;
  body: unknown;
  attempts?: number;
}

/**
 * Delivers messages to the Worker's queue() handler as one AUTOMATION_QUEUE batch, as the Queues runtime would, and
 * then the sends its rules put on SEND_QUEUE as one batch to the send consumer. Returns the automation batch's result
 * and how many sendBatch calls, carrying how many sends, the automation consumer made.
 */
export async function deliver(messages: (Delivery | AutomationEventMessage)[]) {
  const sends: unknown[] = [];
  let sendBatches = 0;
  const send = vi.spyOn(env.SEND_QUEUE, "sendBatch").mockImplementation(async (messages) => {
    sendBatches += 1;
    for (const m of messages) sends.push(structuredClone(m.body));
    return { metadata: { metrics: { backlogCount: sends.length, backlogBytes: 0 } } };
  });
  const batch = createMessageBatch<unknown>(
    QUEUES.automation,
    messages.map((m) =>
      "kind" in m
        ? { id: `automation-msg-${++messageCounter}`, timestamp: new Date(), attempts: 1, body: m }
        : { id: m.id ?? `automation-msg-${++messageCounter}`, timestamp: new Date(), attempts: m.attempts ?? 1, body: m.body },
    ),
  );
  const ctx = createExecutionContext();
  try {
    await worker.queue(batch, env);
  } finally {
    send.mockRestore();
  }
  const result = await getQueueResult(batch, ctx);
  if (sends.length > 0) {
    const sendBatch = createMessageBatch<unknown>(
      QUEUES.send,
      sends.map((body) => ({ id: `send-msg-${++messageCounter}`, timestamp: new Date(), attempts: 1, body })),
    );
    await worker.queue(sendBatch, env);
    await getQueueResult(sendBatch, createExecutionContext());
  }
  return { ...result, sendBatches, sends: sends.length };
}

/** A sending workspace with a triggered campaign, and helpers to post events and rules in it. */
export async function automationWorkspace(options: Parameters<typeof sendingSetup>[0] = {}) {
  const setup = await sendingSetup(options);
  const triggered = await triggeredCampaign(setup);
  const events = (body: unknown) => setup.marketing("/events", "POST", body);
  const rules = (path = "", method = "GET", body?: unknown) => setup.marketing(`/automation/rules${path}`, method, body);
  const createRule = async (body: Record<string, unknown>) => {
    const res = await rules("", "POST", { name: "Rule", ...body });
    if (res.status !== 201) throw new Error(`rule: ${res.status} ${res.text}`);
    return res.json as { id: string };
  };
  const runs = async (ruleId: string) => (await rules(`/${ruleId}/runs`)).json.data as Record<string, any>[];
  return { ...setup, triggered, events, rules, createRule, runs };
}

export async function triggeredCampaign(setup: SendingSetup) {
  const { campaignId } = await startedRun(setup, { campaign_type: "triggered", status: "draft", current_run_id: null });
  return campaignId;
}

export const captured = (campaignId: string) => db.select().from(capturedMessages).where(eq(capturedMessages.campaign_id, campaignId));

/** A flow row written straight to D1: rules only check that its slug exists. */
export async function insertFlow(workspaceId: string, slug: string) {
  const id = newId("flow");
  await db.insert(onboardingFlows).values({ id, workspace_id: workspaceId, name: slug, slug, steps: [] });
  return id;
}
