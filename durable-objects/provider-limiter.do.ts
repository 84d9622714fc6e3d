import { DurableObject } from "cloudflare:workers";

export interface ProviderLimits {
  max_sends_per_second: number | null;
  max_sends_per_day: number | null;
}

export interface LimiterState extends ProviderLimits {
  second: number;
  second_sent: number;
  day: string;
  day_sent: number;
}

export interface LimiterGrant {
  granted: number;
  day_sent: number;
  /** When nothing was granted: milliseconds until the next window opens. */
  retry_after_ms: number;
}

const STATE_KEY = "state";
const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/**
 * One instance per EmailProvider: enforces its max_sends_per_second (a one-second window) and
 * max_sends_per_day (a UTC day) atomically, since providers throttle or reject past their own limits.
 */
export class ProviderLimiter extends DurableObject<Env> {
  private read(now: number): LimiterState {
    const stored = this.ctx.storage.kv.get<LimiterState>(STATE_KEY);
    const state = stored ?? {
      max_sends_per_second: null,
      max_sends_per_day: null,
      second: 0,
      second_sent: 0,
      day: utcDay(now),
      day_sent: 0,
    };
    const second = Math.floor(now / 1000);
    if (state.second !== second) Object.assign(state, { second, second_sent: 0 });
    if (state.day !== utcDay(now)) Object.assign(state, { day: utcDay(now), day_sent: 0 });
    return state;
  }

  configure(limits: ProviderLimits, now: number = Date.now()): LimiterState {
    const next = { ...this.read(now), ...limits };
    this.ctx.storage.kv.put(STATE_KEY, next);
    return next;
  }

  state(now: number = Date.now()): LimiterState {
    return this.read(now);
  }

  acquire(count: number, now: number = Date.now()): LimiterGrant {
    const state = this.read(now);
    const perSecond = state.max_sends_per_second === null ? Infinity : state.max_sends_per_second - state.second_sent;
    const perDay = state.max_sends_per_day === null ? Infinity : state.max_sends_per_day - state.day_sent;
    const granted = Math.max(0, Math.min(Math.floor(count), perSecond, perDay));
    state.second_sent += granted;
    state.day_sent += granted;
    this.ctx.storage.kv.put(STATE_KEY, state);
    const retry_after_ms = granted > 0 ? 0 : perDay <= 0 ? Date.parse(`${state.day}T00:00:00Z`) + 86_400_000 - now : 1000 - (now % 1000);
    return { granted, day_sent: state.day_sent, retry_after_ms };
  }
}
