import { DurableObject } from "cloudflare:workers";

export interface DispatchProgress {
  run_id: string | null;
  phase: "idle" | "fanout" | "sending" | "waiting_for_window" | "paused" | "done";
  /** Keyset cursor: the last subscriber id walked, so a resumed fan-out continues where it stopped. */
  cursor: string | null;
  enqueued: number;
}

const PROGRESS_KEY = "progress";

/**
 * One instance per campaign run (named by the run id): walks the audience in pages, writes recipients and
 * enqueues sends at the campaign's rate inside its send window, driven by alarms.
 */
export class CampaignDispatcher extends DurableObject<Env> {
  progress(): DispatchProgress {
    return this.ctx.storage.kv.get<DispatchProgress>(PROGRESS_KEY) ?? { run_id: null, phase: "idle", cursor: null, enqueued: 0 };
  }

  /** Called whenever the run's state changes (started, paused, resumed, cancelled): the next alarm reads it from D1. */
  async wake(runId: string): Promise<void> {
    const progress = this.progress();
    if (progress.run_id === null) this.ctx.storage.kv.put(PROGRESS_KEY, { ...progress, run_id: runId });
    await this.ctx.storage.setAlarm(Date.now());
  }
}
