import { eq, sql } from "drizzle-orm";
import type { Database } from "../../db/client";
import { type EmailProvider, emailProviders } from "../../db/schema";

/** The UTC day the ProviderLimiter counts in, as stored in daily_sends_reset_at. */
export const utcDayStart = (now: Date) => `${now.toISOString().slice(0, 10)}T00:00:00.000Z`;

export const limiterFor = (env: Env, providerId: string) => env.PROVIDER_LIMITER.get(env.PROVIDER_LIMITER.idFromName(providerId));

/** Hands a provider's limits to its ProviderLimiter, which enforces them. */
export async function configureProviderLimits(
  env: Env,
  provider: Pick<EmailProvider, "id" | "max_sends_per_second" | "max_sends_per_day">,
) {
  await limiterFor(env, provider.id).configure({
    max_sends_per_second: provider.max_sends_per_second,
    max_sends_per_day: provider.max_sends_per_day,
  });
}

export interface ProviderAllowance {
  /** Sends left this second and today; null where the provider has no limit. */
  remaining_this_second: number | null;
  remaining_today: number | null;
  day_sent: number;
}

export async function providerAllowance(env: Env, providerId: string, now: Date): Promise<ProviderAllowance> {
  const state = await limiterFor(env, providerId).state(now.getTime());
  return {
    remaining_this_second: state.max_sends_per_second === null ? null : Math.max(0, state.max_sends_per_second - state.second_sent),
    remaining_today: state.max_sends_per_day === null ? null : Math.max(0, state.max_sends_per_day - state.day_sent),
    day_sent: state.day_sent,
  };
}

/**
 * Takes up to `count` sends from a provider's limits, atomically in its ProviderLimiter, and mirrors the day's
 * count to D1 so that the API and the router read current_daily_sends without asking the DO.
 */
export async function acquireProviderSends(db: Database, env: Env, providerId: string, count: number, now: Date) {
  const grant = await limiterFor(env, providerId).acquire(count, now.getTime());
  await mirrorDailySends(db, providerId, grant.day_sent, now);
  return grant;
}

/**
 * The D1 copy of a provider's sends today, as a statement a caller can run alone or batch with its own writes.
 * Concurrent senders finish in any order: within a day the mirror only moves up.
 */
export function mirrorDailySends(db: Database, providerId: string, daySent: number, now: Date) {
  const dayStart = utcDayStart(now);
  return db
    .update(emailProviders)
    .set({
      current_daily_sends: sql`case when ${emailProviders.daily_sends_reset_at} = ${dayStart} then max(${emailProviders.current_daily_sends}, ${daySent}) else ${daySent} end`,
      daily_sends_reset_at: dayStart,
    })
    .where(eq(emailProviders.id, providerId));
}
