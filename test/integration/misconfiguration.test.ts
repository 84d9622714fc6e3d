import { createExecutionContext, createMessageBatch, createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { QUEUES } from "../../queues/messages";
import { ConfigError } from "../../src/env";
import worker from "../../src/index";

const BAD_KEY = "too-short-to-be-a-key";
const misconfigured = { ...env, ENCRYPTION_KEY: BAD_KEY } as unknown as Env;

afterEach(() => {
  vi.restoreAllMocks();
});

/** What was logged, one line per console.error call. */
function loggedLines(spy: { mock: { calls: unknown[][] } }): string {
  return spy.mock.calls.map((args) => args.map(String).join(" ")).join("\n");
}

describe("a misconfigured deployment", () => {
  it("answers a request with 500 problem+json that names no secret", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const res = await worker.fetch(new Request("http://flarecast.test/health"), misconfigured, createExecutionContext());
    expect(res.status).toBe(500);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    const text = await res.text();
    expect(JSON.parse(text)).toMatchObject({ type: "urn:flarecast:problem:internal_error", status: 500 });
    expect(text).not.toContain(BAD_KEY);
    expect(text).not.toContain("ENCRYPTION_KEY");
  });

  it("fails a queue batch with a log line that names the setting, before any message is touched", async () => {
    const logged = vi.spyOn(console, "error").mockImplementation(() => {});
    const batch = createMessageBatch(QUEUES.send, []);
    await expect(worker.queue(batch, misconfigured)).rejects.toBeInstanceOf(ConfigError);
    const lines = loggedLines(logged);
    expect(lines).toContain(`queue ${QUEUES.send}`);
    expect(lines).toContain("ENCRYPTION_KEY");
    expect(lines).not.toContain(BAD_KEY);
  });

  it("fails a cron run with a log line that names the setting, before any job runs", async () => {
    const logged = vi.spyOn(console, "error").mockImplementation(() => {});
    const controller = createScheduledController({ cron: "0 * * * *", scheduledTime: Date.now() });
    await expect(worker.scheduled(controller, misconfigured)).rejects.toBeInstanceOf(ConfigError);
    const lines = loggedLines(logged);
    expect(lines).toContain('cron "0 * * * *"');
    expect(lines).toContain("ENCRYPTION_KEY");
    expect(lines).not.toContain(BAD_KEY);
  });
});
