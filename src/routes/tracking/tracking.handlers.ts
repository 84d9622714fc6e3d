import type { Context } from "hono";
import { trackingHit } from "../../domain/tracking/hits";
import { redirectTarget } from "../../domain/tracking/links";
import { type ClickClaims, type PixelClaims, readClickToken, readPixelToken, TRAP_LINK_INDEX } from "../../domain/tracking/tokens";
import { readConfig } from "../../env";
import type { AppBindings } from "../../lib/create-app";
import { base64ToBytes } from "../../lib/encoding";
import { queueHit } from "./hit-queue";

type Ctx = Context<AppBindings>;

/** A transparent 1×1 GIF (42 bytes). */
const GIF = base64ToBytes("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7");

const NO_STORE = "no-store, private";

function record(c: Ctx, claims: PixelClaims | ClickClaims): Promise<unknown> {
  const hit = trackingHit(claims, {
    userAgent: c.req.header("user-agent") ?? null,
    ip: c.req.header("cf-connecting-ip") ?? null,
    // The header, not request.cf.country: reading request.cf builds the whole cf object, which cost more CPU than
    // all the rest of the pixel's own work (bench:tracking, docs/tracking.md).
    country: c.req.header("cf-ipcountry") ?? null,
    now: new Date(),
  });
  return queueHit(c.env.EVENT_QUEUE, hit);
}

/**
 * Answers first, verifies and enqueues after: the GIF is the same whatever the token says. The tracking routes run
 * ahead of the app's middleware (src/app.ts), so they read the config themselves.
 */
export function openPixel(c: Ctx): Response {
  const token = c.req.path.slice(c.req.path.lastIndexOf("/") + 1).replace(/\.gif$/, "");
  if (c.req.method === "GET") {
    const keys = readConfig(c.env);
    c.executionCtx.waitUntil(
      readPixelToken(keys, token)
        .then((claims) => (claims ? record(c, claims) : undefined))
        .catch((error) => console.error("tracking: open not queued", error)),
    );
  }
  return new Response(GIF, {
    headers: { "content-type": "image/gif", "content-length": String(GIF.length), "cache-control": NO_STORE },
  });
}

const page = (title: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="robots" content="noindex"><title>${title}</title></head>` +
  `<body><p>${title}</p></body></html>`;

const pageHeaders = {
  "content-type": "text/html; charset=utf-8",
  "cache-control": NO_STORE,
  "referrer-policy": "no-referrer",
  "x-robots-tag": "noindex, nofollow",
};

export async function clickLink(c: Ctx): Promise<Response> {
  const claims = await readClickToken(readConfig(c.env), c.req.param("token") ?? "");
  const trap = claims?.linkIndex === TRAP_LINK_INDEX;
  const target = claims && !trap ? redirectTarget(claims.url) : null;
  if (!claims || (!trap && !target)) return new Response(page("This link is not valid."), { status: 404, headers: pageHeaders });
  if (c.req.method === "GET")
    c.executionCtx.waitUntil(record(c, claims).catch((error) => console.error("tracking: click not queued", error)));
  if (trap) return new Response(page("Nothing to see here."), { status: 200, headers: pageHeaders });
  return new Response(null, { status: 302, headers: { location: target!, "cache-control": NO_STORE, "referrer-policy": "no-referrer" } });
}
