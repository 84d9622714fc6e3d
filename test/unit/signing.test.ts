import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { signPreferenceToken, verifyPreferenceToken } from "../../src/domain/preferences/tokens";
import { base64UrlToBytes, bytesToBase64Url } from "../../src/lib/encoding";
import {
  canonicalBase64UrlToBytes,
  keyId,
  MAX_TOKEN_CHARS,
  packFields,
  type SigningKeys,
  signToken,
  TOKEN_PURPOSES,
  type TokenPurpose,
  timingSafeEqual,
  unpackFields,
  verifyToken,
  verifyTokenNow,
} from "../../src/lib/signing";

const CURRENT = "current-signing-secret-0123456789abcdef";
const RETIRED = "retired-signing-secret-0123456789abcdef";
const KEYS: SigningKeys = { TRACKING_SIGNING_KEY: CURRENT };
const encoder = new TextEncoder();

/**
 * A token built from the documented format alone, without src/lib/signing:
 * base64url(1 ‖ kid ‖ payload ‖ HMAC-SHA-256(HKDF(secret, "flarecast", "flarecast/signed-token/<purpose>/v1"))[0..16)).
 */
async function tokenByTheFormat(secret: string, purpose: string, payload: Uint8Array): Promise<string> {
  const kid = new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(secret))).subarray(0, 4);
  const ikm = await crypto.subtle.importKey("raw", encoder.encode(secret), "HKDF", false, ["deriveKey"]);
  const hkdf = {
    name: "HKDF",
    hash: "SHA-256",
    salt: encoder.encode("flarecast"),
    info: encoder.encode(`flarecast/signed-token/${purpose}/v1`),
  };
  const mac = await crypto.subtle.deriveKey(hkdf, ikm, { name: "HMAC", hash: "SHA-256", length: 256 }, false, ["sign"]);
  const signed = new Uint8Array([1, ...kid, ...payload]);
  const tag = new Uint8Array(await crypto.subtle.sign("HMAC", mac, signed)).subarray(0, 16);
  return bytesToBase64Url(new Uint8Array([...signed, ...tag]));
}

const bytesOf = (token: string) => base64UrlToBytes(token) as Uint8Array;

describe("signToken / verifyToken", () => {
  it("round-trip a payload, deterministically, in exactly the documented format", async () => {
    const payload = packFields(["cmp_01J", "rcp_01J", "https://example.com/a?b=c&d=é"]);
    const token = await signToken(KEYS, "click-link", payload);
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(token).toBe(await tokenByTheFormat(CURRENT, "click-link", payload));
    expect(await signToken(KEYS, "click-link", payload)).toBe(token);
    const verified = await verifyToken(KEYS, "click-link", token);
    expect(unpackFields(verified as Uint8Array, 3)).toEqual(["cmp_01J", "rcp_01J", "https://example.com/a?b=c&d=é"]);
    expect(await verifyToken(KEYS, "open-pixel", await signToken(KEYS, "open-pixel", new Uint8Array()))).toEqual(new Uint8Array());
  });

  it("carry the current key's id, so rotation picks the right secret", async () => {
    const token = await signToken(KEYS, "open-pixel", Uint8Array.of(1, 2, 3));
    const kid = [...bytesOf(token).subarray(1, 5)].map((b) => b.toString(16).padStart(2, "0")).join("");
    expect(kid).toBe(await keyId(CURRENT));
  });

  it("verify with a retired key but never sign with one", async () => {
    const payload = encoder.encode("rcp_1");
    const rotated: SigningKeys = {
      TRACKING_SIGNING_KEY: CURRENT,
      TRACKING_SIGNING_KEYS_OLD: ` other-retired-secret-0123456789ab ,${RETIRED}`,
    };
    const mintedBeforeRotation = await signToken({ TRACKING_SIGNING_KEY: RETIRED }, "open-pixel", payload);
    expect(await verifyToken(KEYS, "open-pixel", mintedBeforeRotation)).toBeNull();
    expect(await verifyToken(rotated, "open-pixel", mintedBeforeRotation)).toEqual(payload);

    const mintedAfter = await signToken(rotated, "open-pixel", payload);
    expect(mintedAfter).toBe(await signToken(KEYS, "open-pixel", payload));
    expect(await verifyToken({ TRACKING_SIGNING_KEY: RETIRED }, "open-pixel", mintedAfter)).toBeNull();
    // Once the retired secret is dropped from the list, what it signed stops verifying.
    expect(await verifyToken({ ...rotated, TRACKING_SIGNING_KEYS_OLD: "" }, "open-pixel", mintedBeforeRotation)).toBeNull();
  });

  it("refuse a token made by an unknown secret, even when its key id matches", async () => {
    const payload = encoder.encode("rcp_1");
    const foreign = bytesOf(await signToken({ TRACKING_SIGNING_KEY: "someone-elses-secret-0123456789abcdef" }, "open-pixel", payload));
    foreign.set(bytesOf(await signToken(KEYS, "open-pixel", payload)).subarray(1, 5), 1);
    expect(await verifyToken(KEYS, "open-pixel", bytesToBase64Url(foreign))).toBeNull();
  });

  it("never verify a token for another purpose, nor a preference token", async () => {
    const payload = encoder.encode("cmp_1|rcp_1");
    const [open, click] = await Promise.all(TOKEN_PURPOSES.map((purpose) => signToken(KEYS, purpose, payload)));
    expect(open).not.toBe(click);
    expect(await verifyToken(KEYS, "click-link", open)).toBeNull();
    expect(await verifyToken(KEYS, "open-pixel", click)).toBeNull();

    const preference = await signPreferenceToken(KEYS, {
      workspaceId: "ws_1",
      subscriberId: "sub_1",
      preferenceToken: "p",
      campaignId: null,
    });
    for (const purpose of TOKEN_PURPOSES) expect(await verifyToken(KEYS, purpose, preference)).toBeNull();
    expect(await verifyPreferenceToken(KEYS, open)).toBeNull();
    expect(await verifyPreferenceToken(KEYS, click)).toBeNull();
  });

  it("refuse a purpose nobody declared", async () => {
    await expect(signToken(KEYS, "unsubscribe" as TokenPurpose, new Uint8Array())).rejects.toThrow(/purpose/);
    await expect(verifyToken(KEYS, "unsubscribe" as TokenPurpose, "AQ")).rejects.toThrow(/purpose/);
  });

  it("refuse every altered character, and truncated, extended or made-up tokens", async () => {
    const token = await signToken(KEYS, "click-link", packFields(["cmp_1", "rcp_1", "https://example.com/"]));
    for (let at = 0; at < token.length; at++) {
      for (const replacement of ["A", "B", "-", "_", "z"]) {
        if (replacement === token[at]) continue;
        const altered = token.slice(0, at) + replacement + token.slice(at + 1);
        expect(await verifyToken(KEYS, "click-link", altered), `${replacement} at ${at}`).toBeNull();
      }
    }
    for (const bad of [token.slice(0, -1), token.slice(0, -2), `${token}A`, `${token}AA`, token.slice(0, 7), "", "AQ", "not a token"]) {
      expect(await verifyToken(KEYS, "click-link", bad), bad).toBeNull();
    }
    expect(await verifyToken(KEYS, "click-link", undefined as unknown as string)).toBeNull();
  });

  it("accept only the canonical base64url spelling", async () => {
    // 2 payload bytes make 23 bytes in all: the last character carries 4 spare bits.
    const token = await signToken(KEYS, "open-pixel", Uint8Array.of(0xfa, 0xce));
    expect(token.length % 4).toBe(3);
    const last = token.at(-1) as string;
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const sameBytes = alphabet[alphabet.indexOf(last) | 1];
    expect(sameBytes).not.toBe(last);
    const withSpareBits = token.slice(0, -1) + sameBytes;
    expect(base64UrlToBytes(withSpareBits)).toEqual(base64UrlToBytes(token)); // what a lax decoder would accept
    expect(await verifyToken(KEYS, "open-pixel", withSpareBits)).toBeNull();

    const standard = btoa(String.fromCharCode(...bytesOf(token)));
    expect(standard).toMatch(/[+/=]/);
    for (const spelling of [standard, `${token}=`, ` ${token}`, `${token}\n`]) {
      expect(await verifyToken(KEYS, "open-pixel", spelling), spelling).toBeNull();
    }
    expect(await verifyToken(KEYS, "open-pixel", token)).toEqual(Uint8Array.of(0xfa, 0xce));
  });

  describe("length", () => {
    afterEach(() => vi.restoreAllMocks());

    it("refuse over-long input before decoding or hashing it", async () => {
      const payloadThatFits = new Uint8Array(3051).fill(7);
      const longest = await signToken(KEYS, "click-link", payloadThatFits);
      expect(longest.length).toBe(MAX_TOKEN_CHARS);
      expect(await verifyToken(KEYS, "click-link", longest)).toEqual(payloadThatFits);

      // Correctly signed, one byte over: refused for its length alone.
      const tooLong = await tokenByTheFormat(CURRENT, "click-link", new Uint8Array(3052).fill(7));
      expect(tooLong.length).toBeGreaterThan(MAX_TOKEN_CHARS);
      await expect(signToken(KEYS, "click-link", new Uint8Array(3052))).rejects.toThrow(/longer/);

      const sign = vi.spyOn(crypto.subtle, "sign");
      const digest = vi.spyOn(crypto.subtle, "digest");
      expect(await verifyToken(KEYS, "click-link", tooLong)).toBeNull();
      expect(await verifyToken(KEYS, "click-link", "A".repeat(10_000_000))).toBeNull();
      expect(sign).not.toHaveBeenCalled();
      expect(digest).not.toHaveBeenCalled();
    });
  });

  it("property: any payload round-trips, and changing any byte of its token fails", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...TOKEN_PURPOSES),
        fc.uint8Array({ maxLength: 300 }),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        async (purpose, payload, position, flip) => {
          const token = await signToken(KEYS, purpose, payload);
          expect(await verifyToken(KEYS, purpose, token)).toEqual(payload);
          const bytes = bytesOf(token);
          bytes[position % bytes.length] ^= flip;
          expect(await verifyToken(KEYS, purpose, bytesToBase64Url(bytes))).toBeNull();
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("preference tokens minted before src/lib/signing existed", () => {
  // Signed by main at 4b5735c (tokens.ts with its own key derivation and base64url), with this secret.
  const LEGACY: SigningKeys = { TRACKING_SIGNING_KEY: "legacy-signing-key-minted-before-lib-signing" };
  const minted = [
    {
      claims: {
        workspaceId: "ws_01JABCDEF",
        subscriberId: "sub_01JXYZ",
        preferenceToken: "pT0kEn-24-chars-random__",
        campaignId: "cmp_01JQRS",
      },
      token: "AfAOsahTWF4mBvlpNr0uVCIM4W08_th_5fLeN27sbvQQby8PVF7b-VUwPv2LaxWSq3Gs-Q28WGCbzs6HupXjjqm1fvw44DImtpxXdiGE7EuO",
    },
    {
      claims: { workspaceId: "ws_1", subscriberId: "sub_1", preferenceToken: "secret", campaignId: null },
      token: "AfAOsaiEZEBPTcu1beD8de23uLSL9Bf5N_6_NGekcIGw2aVeCgVfaA",
    },
    {
      claims: { workspaceId: "ws_ü", subscriberId: "sub_€", preferenceToken: "x", campaignId: "c" },
      token: "AfAOsajCXDto0wHMOkBVxtufu0QWMFaGq6Sm_TSnJpFGDwHgXJqc",
    },
  ];

  it.each(minted)("still verify, and are minted byte for byte the same ($token)", async ({ claims, token }) => {
    expect(await verifyPreferenceToken(LEGACY, token)).toEqual(claims);
    expect(await signPreferenceToken(LEGACY, claims)).toBe(token);
    const rotated = { TRACKING_SIGNING_KEY: CURRENT, TRACKING_SIGNING_KEYS_OLD: LEGACY.TRACKING_SIGNING_KEY };
    expect(await verifyPreferenceToken(rotated, token)).toEqual(claims);
  });
});

describe("timingSafeEqual", () => {
  it("compares bytes and the UTF-8 of strings", () => {
    expect(timingSafeEqual(Uint8Array.of(1, 2, 3), Uint8Array.of(1, 2, 3))).toBe(true);
    expect(timingSafeEqual(Uint8Array.of(1, 2, 3), Uint8Array.of(1, 2, 4))).toBe(false);
    expect(timingSafeEqual(Uint8Array.of(1, 2, 3), Uint8Array.of(1, 2))).toBe(false);
    expect(timingSafeEqual(new Uint8Array(), new Uint8Array())).toBe(true);
    expect(timingSafeEqual("naïve", "naïve")).toBe(true);
    expect(timingSafeEqual("naïve", "naive")).toBe(false);
    expect(timingSafeEqual("é", Uint8Array.of(0xc3, 0xa9))).toBe(true);
  });

  it("property: agrees with plain equality", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 8 }), fc.uint8Array({ maxLength: 8 }), (a, b) => {
        expect(timingSafeEqual(a, b)).toBe(a.length === b.length && a.every((byte, i) => byte === b[i]));
        expect(timingSafeEqual(a, a.slice())).toBe(true);
      }),
    );
  });
});

describe("canonicalBase64UrlToBytes", () => {
  it("decodes canonical base64url and nothing else", () => {
    expect(canonicalBase64UrlToBytes("-_8")).toEqual(Uint8Array.of(0xfb, 0xff));
    expect(canonicalBase64UrlToBytes("")).toEqual(new Uint8Array());
    for (const bad of ["-_9", "-_8=", "+/8", "-_8 ", "A", "AB=C", "ä"]) expect(canonicalBase64UrlToBytes(bad), bad).toBeNull();
  });
});

describe("verifyTokenNow", () => {
  it("answers undefined until a configuration's keys are loaded, then exactly as verifyToken does", async () => {
    const keys: SigningKeys = { TRACKING_SIGNING_KEY: CURRENT };
    const token = await signToken(KEYS, "open-pixel", packFields(["a", "b"]));
    expect(verifyTokenNow(keys, "open-pixel", token)).toBeUndefined();
    expect(await verifyToken(keys, "open-pixel", token)).toEqual(packFields(["a", "b"]));
    expect(verifyTokenNow(keys, "open-pixel", token)).toEqual(packFields(["a", "b"]));
    expect(verifyTokenNow(keys, "open-pixel", `${token.slice(0, -2)}AA`)).toBeNull();
    expect(verifyTokenNow(keys, "click-link", token)).toBeUndefined();
    expect(await verifyToken(keys, "click-link", token)).toBeNull();
    expect(verifyTokenNow(keys, "click-link", token)).toBeNull();
  });
});

describe("packFields / unpackFields", () => {
  it("property: round-trips any strings, long URLs included", () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: "grapheme", maxLength: 40 }), { maxLength: 5 }),
        fc.string({ minLength: 300, maxLength: 3000 }),
        (fields, url) => {
          const all = [...fields, url];
          expect(unpackFields(packFields(all), all.length)).toEqual(all);
        },
      ),
      { numRuns: 50 },
    );
  });

  it("refuses the wrong count, trailing or missing bytes and invalid UTF-8", () => {
    const packed = packFields(["a", "bc"]);
    expect(unpackFields(packed, 1)).toBeNull();
    expect(unpackFields(packed, 3)).toBeNull();
    expect(unpackFields(Uint8Array.of(...packed, 0), 2)).toBeNull();
    expect(unpackFields(packed.subarray(0, packed.length - 1), 2)).toBeNull();
    expect(unpackFields(Uint8Array.of(0, 1, 0xff), 1)).toBeNull();
    expect(() => packFields(["x".repeat(0x10000)])).toThrow(/65535/);
    const long = ["\u0000\u007f", "y".repeat(5000), `${"z".repeat(5000)}é`];
    expect(unpackFields(packFields(long), 3)).toEqual(long);
  });
});
