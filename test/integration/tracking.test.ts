import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import PostalMime from "postal-mime";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { capturedMessages, emailProviders } from "../../src/db/schema";
import { EventQueueMessageSchema, type TrackingHit, TrackingHitSchema } from "../../src/domain/events/event-messages";
import { signClickToken, signPixelToken, type TrackedMessage } from "../../src/domain/tracking/tokens";
import worker from "../../src/index";
import { packFields, signToken } from "../../src/lib/signing";
import { pixelTokenOf } from "../../src/routes/tracking/tracking.handlers";
import { db, driveRun, sendingSetup, startedRun } from "../factories/campaigns";
import { TEST_SECRETS } from "../secrets";

const KEYS = { TRACKING_SIGNING_KEY: TEST_SECRETS.TRACKING_SIGNING_KEY };
const MESSAGE: TrackedMessage = {
  workspaceId: "ws_1",
  campaignId: "cmp_1",
  recipientId: "rcp_1",
  sentAt: new Date("2026-01-01T00:00:00Z"),
};
const SAFARI = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15";

const app = createApp();

/** The hits in what the edge put on EVENT_QUEUE: a hit alone, or a `tracking_hits` message of several. */
function hitsIn(bodies: unknown[]): TrackingHit[] {
  return bodies.flatMap((body) => {
    const message = EventQueueMessageSchema.parse(body);
    if (message.kind === "provider_event") throw new Error("a provider event on the tracking path");
    return message.kind === "tracking_hits" ? message.hits : [message];
  });
}

/**
 * The Worker (or, with `via: app`, its router alone) with a D1 binding that throws on any use and a queue that
 * records what it is sent: whatever answers here touched no database, and the hits are exactly what the event
 * consumer would get.
 */
async function edge(url: string, init: RequestInit = {}, via: "worker" | "app" = "worker") {
  const d1Calls: string[] = [];
  const refuse = (name: string) => () => {
    d1Calls.push(name);
    throw new Error(`D1 used on the tracking path: ${name}`);
  };
  const DB = {
    prepare: refuse("prepare"),
    batch: refuse("batch"),
    exec: refuse("exec"),
    dump: refuse("dump"),
    withSession: refuse("withSession"),
  };
  const sent: unknown[] = [];
  const EVENT_QUEUE = {
    send: async (body: unknown) => void sent.push(body),
  };
  const ctx = createExecutionContext();
  const request = new Request(new URL(url, "http://localhost:8787"), { redirect: "manual", ...init });
  const bindings = { ...env, DB, EVENT_QUEUE } as unknown as Env;
  const res = await (via === "worker" ? worker.fetch(request, bindings, ctx) : app.fetch(request, bindings, ctx));
  const body = new Uint8Array(await res.arrayBuffer());
  await waitOnExecutionContext(ctx);
  expect(d1Calls).toEqual([]);
  return { res, body, hits: hitsIn(sent) };
}

const browser = { headers: { "user-agent": SAFARI, "cf-connecting-ip": "203.0.113.9", "cf-ipcountry": "NL" } };
const GIF_HEADER = "GIF89a";

describe("open pixel", () => {
  it("answers the GIF uncached and queues one open, without D1", async () => {
    const { res, body, hits } = await edge(`/t/p/${await signPixelToken(KEYS, MESSAGE)}.gif`, browser);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("image/gif");
    expect(res.headers.get("cache-control")).toBe("no-store, private");
    expect(new TextDecoder().decode(body.subarray(0, 6))).toBe(GIF_HEADER);
    expect(hits).toEqual([
      expect.objectContaining({
        kind: "tracking_hit",
        workspace_id: "ws_1",
        campaign_id: "cmp_1",
        recipient_id: "rcp_1",
        event_type: "open",
        url: null,
        link_index: null,
        sent_at: "2026-01-01T00:00:00.000Z",
        user_agent: SAFARI,
        ip_country: "NL",
        traffic_class: "human",
      }),
    ]);
  });

  it("still answers the GIF for an invalid or altered token, and records nothing", async () => {
    const token = await signPixelToken(KEYS, MESSAGE);
    for (const bad of ["nonsense", `${token.slice(0, -2)}AA`, await signClickToken(KEYS, MESSAGE, 0, "https://example.com/")]) {
      const { res, body, hits } = await edge(`/t/p/${bad}.gif`, browser);
      expect(res.status).toBe(200);
      expect(res.headers.get("cache-control")).toBe("no-store, private");
      expect(new TextDecoder().decode(body.subarray(0, 6))).toBe(GIF_HEADER);
      expect(hits).toEqual([]);
    }
  });

  it("does not count HEAD", async () => {
    const { res, hits } = await edge(`/t/p/${await signPixelToken(KEYS, MESSAGE)}.gif`, { ...browser, method: "HEAD" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("image/gif");
    expect(hits).toEqual([]);
  });

  it("is answered by the Worker ahead of its router exactly as by the router's own route", async () => {
    const url = `/t/p/${await signPixelToken(KEYS, MESSAGE)}.gif?utm=x`;
    const direct = await edge(url, browser);
    const routed = await edge(url, browser, "app");
    for (const { res, body, hits } of [direct, routed]) {
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("image/gif");
      expect(res.headers.get("cache-control")).toBe("no-store, private");
      expect(body).toEqual(direct.body);
      expect([...res.headers]).toEqual([...direct.res.headers]);
      expect(hits.map((h) => [h.event_type, h.recipient_id, h.traffic_class])).toEqual([["open", "rcp_1", "human"]]);
    }
  });

  it.each([
    ["http://t.example/t/p/abc.gif", "abc"],
    ["https://t.example:8443/t/p/abc.gif?x=1/y.gif", "abc"],
    ["http://t.example/t/p/.gif", ""],
    ["http://t.example/t/p/abc.gif/", null],
    ["http://t.example/t/p/a/b.gif", null],
    ["http://t.example/t/p/abc.png", null],
    ["http://t.example/t/c/abc.gif", null],
    ["http://t.example/x/t/p/abc.gif", null],
    ["http://t.example/", null],
  ])("reads the pixel token of %s as %j", (url, token) => {
    expect(pixelTokenOf(url)).toBe(token);
  });
});

describe("tracked links", () => {
  it("redirect to the URL in the token and queue one click, without D1", async () => {
    const url = "https://example.com/offer?a=1&b=2";
    const { res, hits } = await edge(`/t/c/${await signClickToken(KEYS, MESSAGE, 4, url)}`, browser);
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe(url);
    expect(hits).toEqual([expect.objectContaining({ event_type: "click", url, link_index: 4, traffic_class: "human" })]);
  });

  it("do not count HEAD", async () => {
    const { res, hits } = await edge(`/t/c/${await signClickToken(KEYS, MESSAGE, 0, "https://example.com/")}`, {
      ...browser,
      method: "HEAD",
    });
    expect(res.status).toBe(302);
    expect(hits).toEqual([]);
  });

  it("answer the trap link with a blank page and a bot click, never a redirect", async () => {
    const { res, hits } = await edge(`/t/c/${await signClickToken(KEYS, MESSAGE, -1, "")}`, browser);
    expect(res.status).toBe(200);
    expect(res.headers.get("location")).toBeNull();
    expect(hits).toEqual([
      expect.objectContaining({ event_type: "click", url: null, link_index: -1, traffic_class: "bot", traffic_reason: "trap_link" }),
    ]);
  });

  it("never redirect for an altered token, another URL or a dangerous one, and record nothing", async () => {
    const good = await signClickToken(KEYS, MESSAGE, 0, "https://example.com/");
    const bytes = atob(
      good
        .replaceAll("-", "+")
        .replaceAll("_", "/")
        .padEnd(Math.ceil(good.length / 4) * 4, "="),
    );
    const swapped = btoa(bytes.replace("example.com", "evilxx.com")).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
    const signedWith = (url: string) => signClickToken(KEYS, MESSAGE, 0, url);
    const attempts = [
      swapped,
      `${good.slice(0, -1)}${good.endsWith("A") ? "B" : "A"}`,
      await signedWith("javascript:alert(document.domain)"),
      await signedWith("JaVaScRiPt:alert(1)"),
      await signedWith("//evil.example/"),
      await signedWith("/\\evil.example/"),
      await signedWith("%6Aavascript:alert(1)"),
      await signedWith("%2F%2Fevil.example"),
      await signedWith("data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg"),
      await signedWith("https:evil.example"),
      await signToken(KEYS, "open-pixel", packFields(["ws_1", "cmp_1", "rcp_1", "0", "0", "https://evil.example/"])),
      "bm90IGEgdG9rZW4",
    ];
    for (const token of attempts) {
      const { res, body, hits } = await edge(`/t/c/${token}`, browser);
      expect(res.status, token).toBe(404);
      expect(res.headers.get("location"), token).toBeNull();
      expect(res.headers.get("content-type")).toMatch(/^text\/html/);
      expect(new TextDecoder().decode(body)).toContain("not valid");
      expect(hits, token).toEqual([]);
    }
    expect((await edge(`/t/c/${good}`, browser)).res.status, "the unaltered token still works").toBe(302);
  });
});

/** Requests served side by side by one isolate, sharing one EVENT_QUEUE binding; each request's context is waited on. */
async function servedTogether(urls: string[], EVENT_QUEUE: { send(body: unknown): Promise<void> }) {
  const contexts = urls.map(() => createExecutionContext());
  const responses = await Promise.all(
    urls.map((url, i) =>
      app.fetch(
        new Request(new URL(url, "http://localhost:8787"), { redirect: "manual", ...browser }),
        { ...env, EVENT_QUEUE } as unknown as Env,
        contexts[i],
      ),
    ),
  );
  await Promise.all(contexts.map((ctx) => waitOnExecutionContext(ctx)));
  return responses;
}

describe("hits of requests served together", () => {
  const messages = (n: number) => Array.from({ length: n }, (_, i) => ({ ...MESSAGE, recipientId: `rcp_${i}` }));

  it("go to the queue in one message, each hit once", async () => {
    const sent: unknown[] = [];
    const queue = { send: async (body: unknown) => void sent.push(body) };
    const pixels = await Promise.all(messages(5).map(async (m) => `/t/p/${await signPixelToken(KEYS, m)}.gif`));
    const click = `/t/c/${await signClickToken(KEYS, MESSAGE, 0, "https://example.com/")}`;
    const responses = await servedTogether([...pixels, click], queue);
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 302]);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ kind: "tracking_hits" });
    const hits = hitsIn(sent);
    expect(hits.map((h) => `${h.event_type} ${h.recipient_id}`).sort()).toEqual(
      ["click rcp_1", "open rcp_0", "open rcp_1", "open rcp_2", "open rcp_3", "open rcp_4"].sort(),
    );
    expect(new Set(hits.map((h) => h.id)).size).toBe(6);
  });

  it("go in messages of at most a hundred hits", async () => {
    const sizes: number[] = [];
    const queue = { send: async (body: unknown) => void sizes.push(hitsIn([body]).length) };
    await servedTogether(await Promise.all(messages(101).map(async (m) => `/t/p/${await signPixelToken(KEYS, m)}.gif`)), queue);
    expect(sizes.reduce((n, size) => n + size, 0)).toBe(101);
    expect(Math.max(...sizes)).toBe(100);
  });

  it("are sent one by one when the queue refuses their message, so one bad hit loses no other", async () => {
    const singles: TrackingHit[] = [];
    const queue = {
      send: async (body: unknown) => {
        if ((body as { kind: string }).kind === "tracking_hits") throw new Error("message refused");
        const hit = TrackingHitSchema.parse(body);
        if (hit.recipient_id === "rcp_2") throw new Error("refused");
        singles.push(hit);
      },
    };
    const errors: unknown[][] = [];
    const logged = console.error;
    console.error = (...args: unknown[]) => void errors.push(args);
    try {
      await servedTogether(await Promise.all(messages(4).map(async (m) => `/t/p/${await signPixelToken(KEYS, m)}.gif`)), queue);
    } finally {
      console.error = logged;
    }
    expect(singles.map((h) => h.recipient_id).sort()).toEqual(["rcp_0", "rcp_1", "rcp_3"]);
    expect(errors).toHaveLength(1);
    expect(String(errors[0][1])).toContain("1 of 4 tracking hits not queued");
  });
});

const TEMPLATE = {
  name: "Tracked",
  subject_template: "News",
  body_html:
    '<html><body><p>Hi</p><a href="https://example.com/offer?x=1&amp;y=2">Offer</a> <a href="mailto:hi@example.com">Write</a>' +
    '<a href="{{ preferences_url }}">Preferences</a><a href="{{ unsubscribe_url }}">Unsubscribe</a></body></html>',
  body_text: "Offer: https://example.com/offer?x=1&y=2",
};

async function sentHtml(campaignId: string) {
  const [captured] = await db.select().from(capturedMessages).where(eq(capturedMessages.campaign_id, campaignId));
  return PostalMime.parse(captured.raw);
}

describe("a message sent through capture", () => {
  it("carries a pixel and tracked links that produce the open and the click on the event queue", async () => {
    const setup = await sendingSetup({ template: TEMPLATE, subscribers: [{ email: "ada@example.com" }] });
    const { campaignId, runId } = await startedRun(setup);
    await driveRun(runId);
    const parsed = await sentHtml(campaignId);
    const html = parsed.html ?? "";

    const clicks = [...html.matchAll(/href="(http:\/\/localhost:8787\/t\/c\/[A-Za-z0-9_-]+)"/g)].map((m) => m[1]);
    expect(clicks).toHaveLength(2);
    expect(html).toContain('href="mailto:hi@example.com"');
    expect(html).toMatch(/href="https:\/\/flarecast\.test\/preferences\/[A-Za-z0-9_-]+"/);
    expect(html).toMatch(/href="https:\/\/flarecast\.test\/preferences\/[A-Za-z0-9_-]+\/unsubscribe"/);
    expect(parsed.text, "the text part keeps the original links").toContain("https://example.com/offer?x=1&y=2");
    const pixel = /src="(http:\/\/localhost:8787\/t\/p\/[A-Za-z0-9_-]+\.gif)"/.exec(html)?.[1] ?? "";

    const recipient = { workspace_id: setup.workspace.id, campaign_id: campaignId, recipient_id: expect.stringMatching(/^rcp_/) };
    const open = await edge(pixel, browser);
    expect(open.hits).toEqual([expect.objectContaining({ ...recipient, event_type: "open", traffic_class: "human" })]);

    const click = await edge(clicks[0], browser);
    expect(click.res.headers.get("location")).toBe("https://example.com/offer?x=1&y=2");
    // Clicked at once after the send: what a link scanner does.
    expect(click.hits).toEqual([
      expect.objectContaining({
        ...recipient,
        event_type: "click",
        url: "https://example.com/offer?x=1&y=2",
        link_index: 0,
        traffic_reason: "click_too_soon",
      }),
    ]);
    expect(open.hits[0].recipient_id).toBe(click.hits[0].recipient_id);

    const trap = await edge(clicks[1], browser);
    expect(trap.hits).toEqual([expect.objectContaining({ ...recipient, traffic_class: "bot", traffic_reason: "trap_link" })]);
  });

  it("is left untracked when the campaign turns tracking off", async () => {
    const setup = await sendingSetup({ template: TEMPLATE, subscribers: [{ email: "ada@example.com" }] });
    const { campaignId, runId } = await startedRun(setup, { tracking_enabled: false });
    await driveRun(runId);
    const html = (await sentHtml(campaignId)).html ?? "";
    expect(html).toContain('href="https://example.com/offer?x=1&amp;y=2"');
    expect(html).not.toContain("/t/");
  });

  it("is left untracked when the provider turns tracking off", async () => {
    const setup = await sendingSetup({ template: TEMPLATE, subscribers: [{ email: "ada@example.com" }] });
    await db
      .update(emailProviders)
      .set({ settings: { tracking_enabled: false } })
      .where(eq(emailProviders.id, setup.providers[0].id));
    const { campaignId, runId } = await startedRun(setup);
    await driveRun(runId);
    const html = (await sentHtml(campaignId)).html ?? "";
    expect(html).not.toContain("/t/");
  });

  it("is left untracked in a test send: its recipient is no campaign recipient, and stats must not count it", async () => {
    const setup = await sendingSetup({ template: TEMPLATE });
    const { campaignId } = await startedRun(setup, { status: "draft", current_run_id: null });
    const res = await setup.marketing(`/campaigns/${campaignId}/test`, "POST", { emails: ["qa@example.com"] });
    expect(res.json.data[0].status).toBe("sent");
    const html = (await sentHtml(campaignId)).html ?? "";
    expect(html).toContain("https://example.com/offer");
    expect(html).not.toContain("/t/");
  });
});

describe("the campaigns API", () => {
  it("creates campaigns tracked by default and lets tracking be turned off", async () => {
    const setup = await sendingSetup();
    const created = await setup.marketing("/campaigns", "POST", {
      name: "Tracked",
      template_id: setup.template.id,
      list_id: setup.list.id,
    });
    expect(created.status).toBe(201);
    expect(created.json.tracking_enabled).toBe(true);
    const patched = await setup.marketing(`/campaigns/${created.json.id}`, "PATCH", { tracking_enabled: false });
    expect(patched.status).toBe(200);
    expect(patched.json.tracking_enabled).toBe(false);
    const untracked = await setup.marketing("/campaigns", "POST", { name: "Quiet", tracking_enabled: false });
    expect(untracked.json.tracking_enabled).toBe(false);
    const bad = await setup.marketing("/campaigns", "POST", { name: "Bad", tracking_enabled: "yes" });
    expect(bad.status).toBe(422);
    expect(bad.json.errors[0].path).toBe("tracking_enabled");
  });
});
