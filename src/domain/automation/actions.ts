import type { AutomationAction, AutomationActionResult, CampaignRecipient } from "../../db/schema";
import { getCampaign } from "../campaigns/campaigns";
import { sendCampaign } from "../campaigns/lifecycle";
import { type TriggerDeps, triggerSend } from "../campaigns/trigger";
import { ConflictError, InvalidFieldsError, NotFoundError } from "../errors";
import { enrollSubscriber } from "../onboarding/enrollment";
import { reachMilestone } from "../onboarding/milestones";
import type { QueuedEvent } from "./events";
import { type AutomationRule, RELEASE_TRIGGER } from "./rules";

export interface ActionTarget {
  workspaceId: string;
  rule: AutomationRule;
  event: QueuedEvent;
  /** Null when the event's address is on the suppression list: it is never made a subscriber. */
  subscriberId: string | null;
}

/** A send's idempotency key: a redelivered event, or a rule run tried again, sends nothing twice. */
export const ruleSendKey = (ruleId: string, eventId: string) => `rule:${ruleId}:${eventId}`;

const NOT_A_SUBSCRIBER = "the address is on the suppression list, so it is not a subscriber";

/**
 * What the workspace's state decides is recorded on the run: a campaign paused or already sending, a flow gone or
 * inactive, a send refused. Anything else (D1 unavailable) is thrown, and the event is tried again.
 */
export function recorded(action: AutomationAction["action"], error: unknown): AutomationActionResult {
  if (error instanceof ConflictError) return { action, outcome: "skipped", reason: error.message };
  if (error instanceof NotFoundError || error instanceof InvalidFieldsError) return { action, outcome: "failed", reason: error.message };
  throw error;
}

async function sendCampaignAction(deps: TriggerDeps, target: ActionTarget, campaignId: string, now: Date): Promise<AutomationActionResult> {
  const action = "send_campaign";
  const { workspaceId, rule, event } = target;
  if (rule.trigger === RELEASE_TRIGGER && (await getCampaign(deps.db, workspaceId, campaignId)).campaign_type === "one_time") {
    const started = await sendCampaign(deps.db, deps.env, workspaceId, campaignId, now);
    return { action, outcome: "done", ref: started.current_run_id ?? started.id };
  }
  const { recipient } = await triggerSend(
    deps,
    workspaceId,
    campaignId,
    {
      ...(target.subscriberId ? { subscriber_id: target.subscriberId } : { email: event.user.email, name: event.user.name ?? null }),
      context: sendContext(event),
    },
    ruleSendKey(rule.id, event.id),
    now,
    // A burst of events makes a burst of sends: the send queue's consumer sends them a batch at a time.
    "queued",
  );
  return sendResult(recipient);
}

/** What a rule's send puts in the template's context: the event, as `event`. */
export const sendContext = (event: QueuedEvent) => ({
  event: { id: event.id, type: event.type, occurred_at: event.occurred_at, properties: event.properties },
});

/** A triggered send's recipient as an action result: skipped with the reason when the user could not be mailed. */
export function sendResult(recipient: CampaignRecipient): AutomationActionResult {
  if (recipient.status === "failed") {
    const reason = [recipient.failure_reason ?? "not sent", recipient.failure_detail].filter(Boolean).join(": ");
    return { action: "send_campaign", outcome: "skipped", reason, ref: recipient.id };
  }
  return { action: "send_campaign", outcome: "done", ref: recipient.id };
}

export async function runAction(
  deps: TriggerDeps,
  target: ActionTarget,
  action: AutomationAction,
  now: Date,
): Promise<AutomationActionResult> {
  try {
    switch (action.action) {
      case "send_campaign":
        return await sendCampaignAction(deps, target, action.campaign_id, now);
      case "trigger_onboarding": {
        if (!target.subscriberId) return { action: action.action, outcome: "skipped", reason: NOT_A_SUBSCRIBER };
        const { progress, created } = await enrollSubscriber(
          deps,
          target.workspaceId,
          { flow_slug: action.flow_slug },
          { subscriber_id: target.subscriberId, enrolled_by: `rule:${target.rule.id}` },
          now,
        );
        return created
          ? { action: action.action, outcome: "done", ref: progress.id }
          : { action: action.action, outcome: "skipped", reason: `already in the flow ${action.flow_slug}`, ref: progress.id };
      }
      case "complete_onboarding_step": {
        if (!target.subscriberId) return { action: action.action, outcome: "skipped", reason: NOT_A_SUBSCRIBER };
        await reachMilestone(deps, target.workspaceId, target.subscriberId, action.step_id, now);
        return { action: action.action, outcome: "done" };
      }
    }
  } catch (error) {
    return recorded(action.action, error);
  }
}
