import { type AutomationEventMessage, AutomationEventMessageSchema } from "../src/domain/automation/events";
import { processEvents } from "../src/domain/automation/process-events";
import { sendQueueEnqueuer } from "../src/domain/campaigns/send-message";
import type { TriggerDeps } from "../src/domain/campaigns/trigger";
import { readConfig } from "../src/env";
import { type ConsumerContext, retryDelaySeconds } from "./consumer";
import { type DeadMessage, deadLetterMalformed } from "./dead-letters";

/**
 * AUTOMATION_QUEUE: one product event per message (POST .../events). A batch is processed per workspace as a whole
 * (src/domain/automation/process-events.ts); an event whose processing failed is retried alone, and the others are
 * acked. Malformed bodies are dead-lettered at once.
 */
export async function consumeAutomationBatch(batch: MessageBatch<unknown>, ctx: ConsumerContext): Promise<void> {
  const malformed: DeadMessage[] = [];
  const byWorkspace = new Map<string, { message: Message<unknown>; body: AutomationEventMessage }[]>();
  for (const message of batch.messages) {
    const parsed = AutomationEventMessageSchema.safeParse(message.body);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "(body)"}: ${i.message}`).join("; ");
      malformed.push({ message, reason: `invalid_message: ${issues}` });
      continue;
    }
    const group = byWorkspace.get(parsed.data.workspace_id) ?? [];
    group.push({ message, body: parsed.data });
    byWorkspace.set(parsed.data.workspace_id, group);
  }
  await deadLetterMalformed(ctx.db, batch.queue, malformed);
  if (byWorkspace.size === 0) return;

  const config = readConfig(ctx.env);
  const deps: TriggerDeps = {
    db: ctx.db,
    env: ctx.env,
    urls: config,
    encryptionKey: config.ENCRYPTION_KEY,
    fetch: ctx.fetch,
    enqueueSends: sendQueueEnqueuer(ctx.env.SEND_QUEUE),
  };
  for (const [workspaceId, group] of byWorkspace) {
    const retry = (message: Message<unknown>) => message.retry({ delaySeconds: retryDelaySeconds(message.attempts) });
    try {
      const outcomes = await processEvents(
        deps,
        workspaceId,
        group.map(({ body }) => ({ event: body.event, received_at: body.received_at })),
        new Date(),
      );
      for (const { message, body } of group) {
        const outcome = outcomes.get(body.event.id);
        if (outcome && "error" in outcome) {
          console.error(`${batch.queue}: event ${body.event.id} failed (attempt ${message.attempts})`, outcome.error);
          retry(message);
        } else message.ack();
      }
    } catch (err) {
      console.error(`${batch.queue}: ${group.length} events of workspace ${workspaceId} failed`, err);
      for (const { message } of group) retry(message);
    }
  }
}
