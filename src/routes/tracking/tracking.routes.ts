import { createRoute, z } from "@hono/zod-openapi";
import { ClickParamsSchema, PixelParamsSchema } from "./tracking.schemas";

const tags = ["Tracking"];
const PUBLIC =
  "Public: the signed token is the only credential. The request path never touches the database: it verifies the " +
  "token, answers, and hands the event to the event queue. A HEAD request gets the same answer and is never counted.";

export const openPixel = createRoute({
  method: "get",
  path: "/t/p/{pixel}.gif",
  operationId: "trackOpen",
  summary: "Open pixel",
  description: `${PUBLIC} Always a 1×1 transparent GIF, even for an invalid token (then nothing is recorded), so no email renders broken.`,
  tags,
  security: [],
  request: { params: PixelParamsSchema },
  responses: {
    200: {
      content: { "image/gif": { schema: z.string().openapi({ format: "binary" }) } },
      description: "A 1×1 transparent GIF, `Cache-Control: no-store, private`",
    },
  },
});

export const clickLink = createRoute({
  method: "get",
  path: "/t/c/{token}",
  operationId: "trackClick",
  summary: "Tracked link",
  description:
    `${PUBLIC} Redirects to the http(s) URL bound inside the token; an invalid or altered token gets a 404 page and ` +
    "never a redirect, so the endpoint cannot be used as an open redirect.",
  tags,
  security: [],
  request: { params: ClickParamsSchema },
  responses: {
    200: { content: { "text/html": { schema: z.string() } }, description: "The hidden trap link: a blank page, no redirect" },
    302: { description: "To the original URL (`Location`)" },
    404: {
      content: { "text/html": { schema: z.string() } },
      description: "The link is not valid; the same page whatever is wrong with it",
    },
  },
});
