import { DurableObject } from "cloudflare:workers";

export interface ThrottleState {
  /** Null means uncapped (a domain that is not warming). */
  daily_limit: number | null;
  daily_sent: number;
}

export interface AcquireResult extends ThrottleState {
  granted: number;
}

const STATE_KEY = "state";

/**
 * One instance per sending domain or dedicated IP (named by its id): holds the day's cap and count. A DO
 * runs one call at a time and these methods never await between read and write, so concurrent senders can
 * never push daily_sent past daily_limit.
 */
export class DomainThrottle extends DurableObject<Env> {
  private read(): ThrottleState {
    return this.ctx.storage.kv.get<ThrottleState>(STATE_KEY) ?? { daily_limit: null, daily_sent: 0 };
  }

  state(): ThrottleState {
    return this.read();
  }

  setDailyLimit(dailyLimit: number | null): ThrottleState {
    const next = { ...this.read(), daily_limit: dailyLimit };
    this.ctx.storage.kv.put(STATE_KEY, next);
    return next;
  }

  /** Grants up to `count` sends within today's cap; a partial grant tells the caller how many it may send. */
  acquire(count: number): AcquireResult {
    const current = this.read();
    const room = current.daily_limit === null ? count : Math.max(0, current.daily_limit - current.daily_sent);
    const granted = Math.max(0, Math.min(Math.floor(count), room));
    const next = { ...current, daily_sent: current.daily_sent + granted };
    if (granted > 0) this.ctx.storage.kv.put(STATE_KEY, next);
    return { ...next, granted };
  }

  /** Called at the workspace's local midnight by the daily reset job. */
  resetDay(): ThrottleState {
    const next = { ...this.read(), daily_sent: 0 };
    this.ctx.storage.kv.put(STATE_KEY, next);
    return next;
  }
}
