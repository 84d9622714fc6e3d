import type { Context } from "hono";
import { trackingHit } from "../../domain/tracking/hits";
import { redirectTarget } from "../../domain/tracking/links";
import {
  type ClickClaims,
  type PixelClaims,
  readClickToken,
  readPixelToken,
  readPixelTokenNow,
  TRAP_LINK_INDEX,
} from "../../domain/tracking/tokens";
import { readConfig } from "../../env";
import type { AppBindings } from "../../lib/create-app";
import { base64ToBytes } from "../../lib/encoding";
import { queueHit } from "./hit-queue";

type Ctx = Context<AppBindings>;

/** A transparent 1×1 GIF (42 bytes). */
const GIF = base64ToBytes("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7");

const NO_STORE = "no-store, private";

/** Queues the hit; a promise when this request must keep its context alive until the hit's batch is sent. */
function record(request: Request, queue: Queue, claims: PixelClaims | ClickClaims): Promise<void> | undefined {
  const hit = trackingHit(claims, {
    userAgent: request.headers.get("user-agent"),
    ip: request.headers.get("cf-connecting-ip"),
    // The header, not request.cf.country: reading request.cf builds the whole cf object, which cost more CPU than
    // all the rest of the pixel's own work (bench:tracking, docs/tracking.md).
    country: request.headers.get("cf-ipcountry"),
    now: new Date(),
  });
  return queueHit(queue, hit);
}

const PIXEL_PATH = "/t/p/";

/**
 * The token of an open pixel's URL (`…/t/p/{token}.gif`, any query ignored), or null for any other URL. Read from
 * the URL text, without parsing it into a URL object: it runs for every request the Worker gets.
 */
export function pixelTokenOf(url: string): string | null {
  const pathStart = url.indexOf("/", url.indexOf("://") + 3);
  if (pathStart < 0 || !url.startsWith(PIXEL_PATH, pathStart)) return null;
  const query = url.indexOf("?", pathStart);
  const name = url.slice(pathStart + PIXEL_PATH.length, query < 0 ? url.length : query);
  return name.endsWith(".gif") && !name.includes("/") ? name.slice(0, -".gif".length) : null;
}

const logFailedOpen = (error: unknown) => console.error("tracking: open not queued", error);

/**
 * Answers with the GIF whatever the token says, and queues an open for a valid GET. Once the isolate has its keys
 * the token is checked and the hit queued before the answer, with nothing to wait for unless this request opens a
 * batch of hits; the first requests verify in `waitUntil` while the keys load. Takes no framework context: the
 * Worker serves GET pixels before its router (src/index.ts), and the router's route calls this too.
 */
export function servePixel(request: Request, env: Env, ctx: Pick<ExecutionContext, "waitUntil">, token: string): Response {
  if (request.method === "GET") {
    const keys = readConfig(env);
    const claims = readPixelTokenNow(keys, token);
    if (claims === undefined) {
      ctx.waitUntil(
        readPixelToken(keys, token)
          .then((read) => (read ? record(request, env.EVENT_QUEUE, read) : undefined))
          .catch(logFailedOpen),
      );
    } else if (claims) {
      const sending = record(request, env.EVENT_QUEUE, claims);
      if (sending) ctx.waitUntil(sending.catch(logFailedOpen));
    }
  }
  return new Response(GIF, {
    headers: { "content-type": "image/gif", "content-length": String(GIF.length), "cache-control": NO_STORE },
  });
}

export const openPixel = (c: Ctx): Response => servePixel(c.req.raw, c.env, c.executionCtx, pixelTokenOf(c.req.url) ?? "");

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
  if (c.req.method === "GET") {
    const sending = record(c.req.raw, c.env.EVENT_QUEUE, claims);
    if (sending) c.executionCtx.waitUntil(sending.catch((error) => console.error("tracking: click not queued", error)));
  }
  if (trap) return new Response(page("Nothing to see here."), { status: 200, headers: pageHeaders });
  return new Response(null, { status: 302, headers: { location: target!, "cache-control": NO_STORE, "referrer-policy": "no-referrer" } });
}
