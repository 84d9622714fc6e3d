import { eq } from "drizzle-orm";
import type { DomainThrottle } from "../../../durable-objects/domain-throttle.do";
import type { Database } from "../../db/client";
import { targetTable, type WarmingTarget } from "./targets";

/** The DomainThrottle of a sending domain or dedicated IP; the type is in the name since ids of both could meet. */
export function throttleFor(env: Env, target: Pick<WarmingTarget, "type" | "id">): DurableObjectStub<DomainThrottle> {
  return env.DOMAIN_THROTTLE.get(env.DOMAIN_THROTTLE.idFromName(`${target.type}:${target.id}`));
}

async function storedLimit(db: Database, target: WarmingTarget): Promise<number | null> {
  const t = targetTable(target.type);
  const row = await db.select({ daily_limit: t.daily_limit }).from(t).where(eq(t.id, target.id)).get();
  return row?.daily_limit ?? null;
}

const MAX_SYNC_ROUNDS = 5;

/**
 * Makes the DO's cap equal D1's daily_limit, which every warming transition writes first (0 while paused, null
 * once uncapped). Two transitions can race — the hourly jobs run concurrently, so a day's advance can meet an
 * auto-pause — and a plain read-then-set could leave the DO on the loser's value. Reading again after each set
 * closes that: whoever sets a stale value sees the newer one and sets it, so the last DO write is always the
 * current D1 value.
 */
export async function syncThrottle(db: Database, env: Env, target: WarmingTarget): Promise<number | null> {
  const stub = throttleFor(env, target);
  let limit = await storedLimit(db, target);
  for (let round = 0; round < MAX_SYNC_ROUNDS; round++) {
    await stub.setDailyLimit(limit);
    const current = await storedLimit(db, target);
    if (current === limit) return limit;
    limit = current;
  }
  throw new Error(`the daily limit of ${target.type} ${target.id} kept changing while it was synced to its throttle`);
}
