import { env } from "cloudflare:workers";
import { z } from "@hono/zod-openapi";
import { describe, expect, it } from "vitest";
import { ConfigError, readConfig } from "../../src/env";
import { chunk, rowsPerInsert } from "../../src/lib/chunk";
import { openSecret, randomBase62, sealSecret, secretsEqual } from "../../src/lib/crypto";
import type { ApiError } from "../../src/lib/errors";
import { newId } from "../../src/lib/ids";
import { firstFreeSlug, slugify } from "../../src/lib/slug";
import { isValidTimeZone } from "../../src/lib/timezones";
import { validationHook } from "../../src/lib/validation-hook";

describe("newId", () => {
  it("is prefixed and sorts by creation time", () => {
    const earlier = newId("cmp", Date.parse("2026-01-01T00:00:00Z"));
    const later = newId("cmp", Date.parse("2026-01-01T00:00:00.001Z"));
    expect(earlier).toMatch(/^cmp_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(earlier < later).toBe(true);
    expect(newId("cmp")).not.toBe(newId("cmp"));
  });
});

describe("time zones", () => {
  it.each(["UTC", "Europe/Berlin", "America/Argentina/Buenos_Aires", "Etc/GMT+5"])("accepts %s", (zone) => {
    expect(isValidTimeZone(zone)).toBe(true);
  });
  it.each(["", "Mars/Olympus_Mons", "+02:00", "utc ", "Europe/Berlin; drop table"])("refuses %j", (zone) => {
    expect(isValidTimeZone(zone)).toBe(false);
  });
});

describe("slugify", () => {
  it("makes URL-safe slugs from any name", () => {
    expect(slugify("Acme Newsletters", "workspace")).toBe("acme-newsletters");
    expect(slugify("  Café Müller & Söhne!  ", "workspace")).toBe("cafe-muller-sohne");
    expect(slugify("日本", "workspace")).toBe("workspace");
    expect(slugify("x".repeat(80), "workspace")).toHaveLength(48);
  });

  it("finds the first free suffix", async () => {
    const taken = new Set(["news", "news-2"]);
    expect(await firstFreeSlug("news", async (s) => taken.has(s))).toBe("news-3");
  });
});

describe("crypto helpers", () => {
  it("compares secrets of any length without throwing", async () => {
    expect(await secretsEqual("same-secret", "same-secret")).toBe(true);
    expect(await secretsEqual("same-secret", "same-secreT")).toBe(false);
    expect(await secretsEqual("short", "a much longer secret")).toBe(false);
  });

  it("seals secrets so that only the same key and the same binding open them", async () => {
    const key = env.ENCRYPTION_KEY;
    const sealed = await sealSecret(key, "sk_live_secret", "provider:a");
    expect(sealed).toMatch(/^v1\.[A-Za-z0-9+/=]+\.[A-Za-z0-9+/=]+$/);
    expect(sealed).not.toContain("sk_live_secret");
    expect(await sealSecret(key, "sk_live_secret", "provider:a")).not.toBe(sealed);
    expect(await openSecret(key, sealed, "provider:a")).toBe("sk_live_secret");
    await expect(openSecret(key, sealed, "provider:b")).rejects.toThrow();
    await expect(openSecret(btoa("another-32-byte-key-for-testing!"), sealed, "provider:a")).rejects.toThrow();
    const [v, iv, body] = sealed.split(".");
    const tampered = `${v}.${iv}.${body.startsWith("A") ? `B${body.slice(1)}` : `A${body.slice(1)}`}`;
    await expect(openSecret(key, tampered, "provider:a")).rejects.toThrow();
  });

  it("seals a secret of any size (a spread into String.fromCharCode overflowed the stack at about 125 KB)", async () => {
    const key = env.ENCRYPTION_KEY;
    const large = "-----BEGIN PRIVATE KEY-----".repeat(20_000);
    expect(await openSecret(key, await sealSecret(key, large, "provider:a"), "provider:a")).toBe(large);
  });

  it("draws base62 strings of the asked length", () => {
    const s = randomBase62(1000);
    expect(s).toMatch(/^[0-9A-Za-z]{1000}$/);
    expect(new Set(s).size).toBeGreaterThan(55);
  });
});

describe("chunk", () => {
  it("keeps multi-row inserts under D1's 100 bound parameters", () => {
    expect(rowsPerInsert(9)).toBe(11);
    expect(chunk([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
  });
});

describe("readConfig", () => {
  it("accepts the test environment", () => {
    expect(readConfig(env).CAMPAIGN_SEND_RATE_PER_MINUTE).toBe(100);
  });

  it("names every bad setting without revealing any secret value", () => {
    const broken = { ...env, ADMIN_TOKEN: "short-secret", ENCRYPTION_KEY: "bm90LTMyLWJ5dGVz", TRACKING_SIGNING_KEY: undefined };
    let error: unknown;
    try {
      readConfig(broken as unknown as Env);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).toContain("ADMIN_TOKEN");
    expect(message).toContain("ENCRYPTION_KEY");
    expect(message).toContain("TRACKING_SIGNING_KEY");
    expect(message).not.toContain("short-secret");
    expect(message).not.toContain("bm90LTMyLWJ5dGVz");
  });
});

describe("validationHook", () => {
  const fieldErrors = (schema: z.ZodType, value: unknown) => {
    try {
      validationHook({ success: false, error: schema.safeParse(value).error, target: "json" } as never, {} as never);
    } catch (err) {
      return (err as ApiError).errors;
    }
    throw new Error("the hook accepted an invalid value");
  };

  it("names each unknown key at its own path", () => {
    const schema = z.object({ name: z.string(), settings: z.object({ colour: z.string() }).strict() }).strict();
    expect(fieldErrors(schema, { name: "x", nmae: "y", settings: { colour: "red", color: "blue" } })).toEqual(
      expect.arrayContaining([
        { location: "body", path: "nmae", message: "is not a known field" },
        { location: "body", path: "settings.color", message: "is not a known field" },
      ]),
    );
  });

  it("explains a union by the option of the value's type: a list that is too long, not a list that is no number", () => {
    const scalar = z.union([z.string(), z.number(), z.boolean()]);
    const schema = z.object({ value: z.union([scalar, z.array(scalar).max(3)]) });
    expect(fieldErrors(schema, { value: [1, 2, 3, 4] })).toEqual([
      { location: "body", path: "value", message: expect.stringMatching(/3/) },
    ]);
  });
});
