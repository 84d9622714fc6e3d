import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import worker from "../../src/index";
import { ADMIN_TOKEN, api } from "../factories/api";

afterEach(() => {
  vi.restoreAllMocks();
});

describe("the request id", () => {
  it("is in the X-Request-Id header of successes and of problems", async () => {
    const responses = [
      await api("/health"),
      await api("/nope"),
      await api("/workspaces/acme"),
      await api("/workspaces", { method: "POST", token: ADMIN_TOKEN, body: {} }),
    ];
    expect(responses.map((res) => res.status)).toEqual([200, 404, 401, 422]);
    for (const res of responses) expect(res.headers.get("x-request-id")).toMatch(/^[\w=-]+$/);
    expect(new Set(responses.map((res) => res.headers.get("x-request-id"))).size).toBe(responses.length);
  });

  it("is in every problem document, as request_id and as its instance", async () => {
    for (const res of [
      await api("/nope"),
      await api("/workspaces/acme"),
      await api("/workspaces", { method: "POST", token: ADMIN_TOKEN, body: {} }),
      await api("/workspaces", { method: "POST", token: ADMIN_TOKEN, rawBody: "{" }),
    ]) {
      const id = res.headers.get("x-request-id");
      expect(res.headers.get("content-type")).toBe("application/problem+json");
      expect(res.json).toMatchObject({ request_id: id, instance: `urn:flarecast:request:${id}` });
    }
  });

  it("is the caller's when it sends a well-formed one, so both sides can trace a request", async () => {
    const res = await api("/nope", { headers: { "x-request-id": "trace-42" } });
    expect(res.headers.get("x-request-id")).toBe("trace-42");
    expect(res.json.request_id).toBe("trace-42");
  });

  it("is in the log line the error handler writes for a 500", async () => {
    const logged = vi.spyOn(console, "error").mockImplementation(() => {});
    const failingDb = {
      prepare: () => {
        throw new Error("D1 is down");
      },
    };
    const broken = { ...env, DB: failingDb } as unknown as Env;
    const request = new Request("http://flarecast.test/workspaces", { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    const res = await worker.fetch(request, broken, createExecutionContext());
    expect(res.status).toBe(500);
    const id = res.headers.get("x-request-id");
    expect(((await res.json()) as { request_id: string }).request_id).toBe(id);
    expect(logged).toHaveBeenCalledWith(expect.stringContaining(`request ${id}`), expect.any(Error));
  });

  it("is in the log line that names a missing setting", async () => {
    const logged = vi.spyOn(console, "error").mockImplementation(() => {});
    const broken = { ...env, ENCRYPTION_KEY: undefined } as unknown as Env;
    const res = await worker.fetch(new Request("http://flarecast.test/health"), broken, createExecutionContext());
    expect(res.status).toBe(500);
    const line = logged.mock.calls.map((args) => String(args[0])).join("\n");
    expect(line).toContain(`request ${res.headers.get("x-request-id")}`);
    expect(line).toContain("ENCRYPTION_KEY");
  });
});
