import { consumeAutomationBatch } from "../queues/automation.consumer";
import { consumeDeadLetterBatch } from "../queues/dead-letter.consumer";
import { consumeEventBatch } from "../queues/event.consumer";
import { consumeImportBatch } from "../queues/import.consumer";
import { QUEUES } from "../queues/messages";
import { consumeSendBatch } from "../queues/send.consumer";
import { consumeWebhookBatch } from "../queues/webhook.consumer";
import { createApp } from "./app";
import { createDb } from "./db/client";
import { ConfigError, readConfig } from "./env";
import { jobs } from "./jobs/registry";
import { runScheduledJobs } from "./jobs/runner";
import { pixelTokenOf, servePixel } from "./routes/tracking/tracking.handlers";

export { CampaignDispatcher } from "../durable-objects/campaign-dispatcher.do";
export { DomainThrottle } from "../durable-objects/domain-throttle.do";
export { ProviderLimiter } from "../durable-objects/provider-limiter.do";
export { OnboardingFlowWorkflow } from "../workflows/onboarding-flow.workflow";

const app = createApp();

const consumers: Record<string, typeof consumeSendBatch> = {
  [QUEUES.send]: consumeSendBatch,
  [QUEUES.events]: consumeEventBatch,
  [QUEUES.sendDeadLetters]: consumeDeadLetterBatch,
  [QUEUES.eventDeadLetters]: consumeDeadLetterBatch,
  [QUEUES.imports]: consumeImportBatch,
  [QUEUES.importDeadLetters]: consumeDeadLetterBatch,
  [QUEUES.webhooks]: consumeWebhookBatch,
  [QUEUES.webhookDeadLetters]: consumeDeadLetterBatch,
  [QUEUES.automation]: consumeAutomationBatch,
  [QUEUES.automationDeadLetters]: consumeDeadLetterBatch,
};

/**
 * Checks the vars and secrets before a batch or a cron run starts, as the app does for a request: a bad one then
 * fails the run with a log line naming the setting, rather than with an error deep inside a consumer or a job.
 */
function checkConfig(env: Env, run: string): void {
  try {
    readConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) console.error(`${run}: ${err.message}`);
    throw err;
  }
}

export default {
  /**
   * A GET of the open pixel, by far the most frequent request, is answered before the router: it needs nothing the
   * router and its middleware set up. Every other request (a HEAD of the pixel too) goes through the app.
   */
  fetch(request: Request, env: Env, ctx: ExecutionContext) {
    const pixel = request.method === "GET" ? pixelTokenOf(request.url) : null;
    return pixel === null ? app.fetch(request, env, ctx) : servePixel(request, env, ctx, pixel);
  },

  async queue(batch, env) {
    checkConfig(env, `queue ${batch.queue}`);
    const consume = consumers[batch.queue];
    if (!consume) throw new Error(`no consumer for queue "${batch.queue}"`);
    await consume(batch, { env, db: createDb(env.DB) });
  },

  async scheduled(controller, env) {
    checkConfig(env, `cron "${controller.cron}"`);
    await runScheduledJobs(controller.cron, jobs, { env, db: createDb(env.DB), now: new Date(controller.scheduledTime) });
  },
} satisfies ExportedHandler<Env, unknown>;
