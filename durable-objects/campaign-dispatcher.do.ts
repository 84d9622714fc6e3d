import { DurableObject } from "cloudflare:workers";
import { createDb } from "../src/db/client";
import { type DispatchPhase, type DispatchState, dispatchStep, initialDispatchState } from "../src/domain/campaigns/dispatch";
import { readConfig } from "../src/env";

export interface DispatchProgress {
  run_id: string | null;
  phase: DispatchPhase | "idle";
  /** Keyset cursor: the last subscriber id walked, so a resumed fan-out continues where it stopped. */
  cursor: string | null;
  enqueued: number;
  next_step_at: string | null;
}

const STATE_KEY = "state";
const PROGRESS_KEY = "progress";
/** After a failed step (D1 or the queue unavailable), try again soon rather than never. */
const RETRY_AFTER_ERROR_MS = 10_000;

/**
 * One instance per campaign run (named by the run id). Its alarm drives the run's dispatch step by step (see
 * dispatchStep): fan-out, repair, rate-limited enqueueing and completion; it sleeps until the send window opens
 * and stops while the run is paused, until `wake` is called again.
 */
export class CampaignDispatcher extends DurableObject<Env> {
  progress(): DispatchProgress {
    return (
      this.ctx.storage.kv.get<DispatchProgress>(PROGRESS_KEY) ?? {
        run_id: null,
        phase: "idle",
        cursor: null,
        enqueued: 0,
        next_step_at: null,
      }
    );
  }

  /** Called whenever the run's state changes (started, paused, resumed, cancelled): the next step reads it from D1. */
  async wake(runId: string): Promise<void> {
    if (!this.ctx.storage.kv.get<DispatchState>(STATE_KEY)) this.ctx.storage.kv.put(STATE_KEY, initialDispatchState(runId, Date.now()));
    await this.ctx.storage.setAlarm(Date.now());
  }

  override async alarm(): Promise<void> {
    const state = this.ctx.storage.kv.get<DispatchState>(STATE_KEY);
    if (!state) return;
    const config = readConfig(this.env);
    try {
      const step = await dispatchStep(
        {
          db: createDb(this.env.DB),
          defaultRatePerMinute: config.CAMPAIGN_SEND_RATE_PER_MINUTE,
          enqueue: async (messages) => {
            await this.env.SEND_QUEUE.sendBatch(messages.map((body) => ({ body, contentType: "json" })));
          },
        },
        state,
        Date.now(),
      );
      this.ctx.storage.kv.put(STATE_KEY, step.state);
      this.ctx.storage.kv.put(PROGRESS_KEY, {
        run_id: step.state.run_id,
        phase: step.phase,
        cursor: step.state.cursor,
        enqueued: step.state.enqueued,
        next_step_at: step.next_at === null ? null : new Date(step.next_at).toISOString(),
      } satisfies DispatchProgress);
      if (step.next_at !== null) await this.ctx.storage.setAlarm(step.next_at);
    } catch (error) {
      console.error(`dispatcher ${state.run_id}: step failed`, error);
      await this.ctx.storage.setAlarm(Date.now() + RETRY_AFTER_ERROR_MS);
    }
  }
}
