import { describe, expect, it } from "vitest";
import { ApiError } from "../../src/lib/errors";
import { findJsonHazard, MAX_JSON_DEPTH, readBodyUpTo, readJsonBody } from "../../src/lib/request-body";

const post = (body: BodyInit, headers: Record<string, string> = {}) =>
  new Request("http://flarecast.test/", { method: "POST", body, headers });

async function problemOf(promise: Promise<unknown>) {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApiError);
  return (err as ApiError).toProblem();
}

describe("findJsonHazard", () => {
  it("measures a body nested 1,000,000 deep without recursing, and names where the limit was passed", () => {
    const deep = JSON.parse(`{"a":${"[".repeat(1_000_000)}${"]".repeat(1_000_000)}}`);
    expect(findJsonHazard(deep)).toEqual({
      location: "body",
      path: ["a", ...Array(MAX_JSON_DEPTH - 1).fill(0)].join("."),
      message: `nests arrays and objects more than ${MAX_JSON_DEPTH} deep`,
    });
  });

  it(`lets ${MAX_JSON_DEPTH} levels through`, () => {
    expect(findJsonHazard(JSON.parse(`${"[".repeat(MAX_JSON_DEPTH)}${"]".repeat(MAX_JSON_DEPTH)}`))).toBeUndefined();
  });

  it("finds a __proto__ key at any depth, even written with escapes, and leaves constructor and prototype alone", () => {
    const body = JSON.parse('{"subscribers":[{"attributes":{"plan":"pro","\\u005f_proto__":{"polluted":true}}}]}');
    expect(findJsonHazard(body)).toMatchObject({ path: "subscribers.0.attributes.__proto__" });
    expect(findJsonHazard(JSON.parse('{"constructor":{"prototype":{"polluted":true}}}'))).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe("readBodyUpTo", () => {
  it("refuses a declared length over the limit without reading the body", async () => {
    const request = post("{}", { "content-length": "11" });
    expect(await problemOf(readBodyUpTo(request, 10))).toMatchObject({ status: 413, type: "urn:flarecast:problem:content_too_large" });
    expect(request.bodyUsed).toBe(false);
  });

  it("stops reading a streamed body as soon as it passes the limit", async () => {
    let pulls = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulls += 1;
        controller.enqueue(new Uint8Array(1024));
      },
    });
    expect(await problemOf(readBodyUpTo(post(endless), 10 * 1024))).toMatchObject({ status: 413 });
    expect(pulls).toBeLessThan(20);
  });

  it("returns the body's bytes within the limit", async () => {
    expect(new TextDecoder().decode(await readBodyUpTo(post('{"a":1}'), 7))).toBe('{"a":1}');
  });
});

describe("readJsonBody", () => {
  it("is 400 for text that is not JSON or bytes that are not UTF-8, and 422 for a __proto__ key", async () => {
    expect(await problemOf(readJsonBody(post('{"a":')))).toMatchObject({ status: 400, type: "urn:flarecast:problem:bad_request" });
    expect(await problemOf(readJsonBody(post(new Uint8Array([0x22, 0xc3, 0x22]))))).toMatchObject({
      status: 400,
      detail: "The body is not UTF-8 text",
    });
    expect(await problemOf(readJsonBody(post('{"__proto__":{}}')))).toMatchObject({
      status: 422,
      errors: [{ location: "body", path: "__proto__", message: "a key named __proto__ is not allowed" }],
    });
  });

  it("drops a byte order mark, which JSON.parse would refuse", async () => {
    expect(JSON.parse(await readJsonBody(post(new Uint8Array([0xef, 0xbb, 0xbf, 0x7b, 0x7d]))))).toEqual({});
  });
});
