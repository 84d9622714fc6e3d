import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { CampaignDispatcher } from "../../durable-objects/campaign-dispatcher.do";
import type { DomainThrottle } from "../../durable-objects/domain-throttle.do";

describe("DomainThrottle", () => {
  it("never grants past the daily cap under 50 concurrent acquires", async () => {
    const stub = env.DOMAIN_THROTTLE.getByName("dom_concurrent");
    await stub.setDailyLimit(100);
    const grants = await Promise.all(Array.from({ length: 50 }, () => stub.acquire(3)));
    const total = grants.reduce((sum, g) => sum + g.granted, 0);
    expect(total).toBe(100);
    expect(grants.filter((g) => g.granted === 3)).toHaveLength(33);
    expect(grants.filter((g) => g.granted === 1)).toHaveLength(1);
    expect(await stub.state()).toEqual({ daily_limit: 100, daily_sent: 100 });
  });

  it("grants everything when uncapped, and starts a new day from zero", async () => {
    const stub = env.DOMAIN_THROTTLE.getByName("dom_uncapped");
    expect((await stub.acquire(5000)).granted).toBe(5000);
    await stub.setDailyLimit(10);
    expect((await stub.acquire(1)).granted).toBe(0);
    await stub.resetDay();
    expect((await stub.acquire(20)).granted).toBe(10);
  });

  it("keeps its count in durable storage", async () => {
    const stub = env.DOMAIN_THROTTLE.getByName("dom_storage");
    await stub.setDailyLimit(7);
    await stub.acquire(4);
    const stored = await runInDurableObject(stub, (_: DomainThrottle, state) => state.storage.kv.get("state"));
    expect(stored).toEqual({ daily_limit: 7, daily_sent: 4 });
  });
});

describe("ProviderLimiter", () => {
  const t0 = Date.parse("2026-11-28T10:00:00.000Z");

  it("holds max_sends_per_second within a second and frees it the next", async () => {
    const stub = env.PROVIDER_LIMITER.getByName("prv_second");
    await stub.configure({ max_sends_per_second: 14, max_sends_per_day: null }, t0);
    expect((await stub.acquire(10, t0)).granted).toBe(10);
    const capped = await stub.acquire(10, t0 + 500);
    expect(capped.granted).toBe(4);
    const none = await stub.acquire(1, t0 + 900);
    expect(none).toMatchObject({ granted: 0, retry_after_ms: 100 });
    expect((await stub.acquire(10, t0 + 1000)).granted).toBe(10);
  });

  it("holds max_sends_per_day until the UTC day changes", async () => {
    const stub = env.PROVIDER_LIMITER.getByName("prv_day");
    await stub.configure({ max_sends_per_second: null, max_sends_per_day: 25 }, t0);
    const grants = await Promise.all(Array.from({ length: 50 }, (_, i) => stub.acquire(1, t0 + i)));
    expect(grants.reduce((s, g) => s + g.granted, 0)).toBe(25);
    const refused = await stub.acquire(1, t0 + 60_000);
    expect(refused.granted).toBe(0);
    expect(refused.retry_after_ms).toBe(Date.parse("2026-11-29T00:00:00.000Z") - (t0 + 60_000));
    const nextDay = await stub.acquire(5, Date.parse("2026-11-29T00:00:01.000Z"));
    expect(nextDay).toMatchObject({ granted: 5, day_sent: 5 });
  });
});

describe("CampaignDispatcher", () => {
  it("reports idle progress for a campaign it has not dispatched", async () => {
    const stub = env.CAMPAIGN_DISPATCHER.getByName("cmp_idle");
    expect(await runInDurableObject(stub, (instance: CampaignDispatcher) => instance.progress())).toMatchObject({
      phase: "idle",
      enqueued: 0,
    });
  });
});
