import { DurableObject } from "cloudflare:workers";

export interface DispatchProgress {
  campaign_id: string | null;
  phase: "idle" | "dispatching" | "waiting_for_window" | "paused" | "done";
  /** Keyset cursor: the last subscriber id walked, so a resumed dispatch continues where it stopped. */
  cursor: string | null;
  enqueued: number;
  skipped: number;
}

const PROGRESS_KEY = "progress";

/**
 * One instance per campaign: walks the audience in pages and enqueues sends at the campaign's rate, inside
 * its send window, resuming from alarms. This foundation holds its persisted progress; the walk and the
 * alarms arrive with the campaign engine.
 */
export class CampaignDispatcher extends DurableObject<Env> {
  progress(): DispatchProgress {
    return (
      this.ctx.storage.kv.get<DispatchProgress>(PROGRESS_KEY) ?? {
        campaign_id: null,
        phase: "idle",
        cursor: null,
        enqueued: 0,
        skipped: 0,
      }
    );
  }
}
