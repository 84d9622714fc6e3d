// The baseline of `npm run bench:tracking`: a Worker that answers the same 42-byte GIF, with the same headers, to
// every request and does nothing else (no routing, no token, no queue). `GET /health` answers "ok".
const GIF = Uint8Array.from(atob("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"), (ch) => ch.charCodeAt(0));

export default {
  fetch(request: Request): Response {
    if (new URL(request.url).pathname === "/health") return new Response("ok");
    return new Response(GIF, {
      headers: { "content-type": "image/gif", "content-length": String(GIF.length), "cache-control": "no-store, private" },
    });
  },
} satisfies ExportedHandler;
