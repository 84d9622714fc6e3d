import { consumeDeadLetterBatch } from "../queues/dead-letter.consumer";
import { consumeEventBatch } from "../queues/event.consumer";
import { consumeImportBatch } from "../queues/import.consumer";
import { QUEUES } from "../queues/messages";
import { consumeSendBatch } from "../queues/send.consumer";
import { createApp } from "./app";
import { createDb } from "./db/client";
import { jobs } from "./jobs/registry";
import { runScheduledJobs } from "./jobs/runner";

export { CampaignDispatcher } from "../durable-objects/campaign-dispatcher.do";
export { DomainThrottle } from "../durable-objects/domain-throttle.do";
export { ProviderLimiter } from "../durable-objects/provider-limiter.do";

const app = createApp();

const consumers: Record<string, typeof consumeSendBatch> = {
  [QUEUES.send]: consumeSendBatch,
  [QUEUES.events]: consumeEventBatch,
  [QUEUES.sendDeadLetters]: consumeDeadLetterBatch,
  [QUEUES.eventDeadLetters]: consumeDeadLetterBatch,
  [QUEUES.imports]: consumeImportBatch,
  [QUEUES.importDeadLetters]: consumeDeadLetterBatch,
};

export default {
  fetch: app.fetch,

  async queue(batch, env) {
    const consume = consumers[batch.queue];
    if (!consume) throw new Error(`no consumer for queue "${batch.queue}"`);
    await consume(batch, { env, db: createDb(env.DB) });
  },

  async scheduled(controller, env) {
    await runScheduledJobs(controller.cron, jobs, { env, db: createDb(env.DB), now: new Date(controller.scheduledTime) });
  },
} satisfies ExportedHandler<Env, unknown>;
