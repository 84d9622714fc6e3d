import { html, raw } from "hono/html";
import { createRouter } from "../../lib/create-app";
import { API_REFERENCE_VERSION, loadApiReferenceBundle } from "./api-reference-bundle";

/** The URL names the bundle's version, so a browser may keep it for a year: a new version is a new URL. */
export const API_REFERENCE_ASSET = `/docs/assets/scalar-api-reference-${API_REFERENCE_VERSION}.js`;

/** What the UI would fetch from elsewhere (its fonts, telemetry, the AI agent) is off: only this origin is used. */
const apiReferenceConfig = {
  url: "/openapi.json",
  withDefaultFonts: false,
  telemetry: false,
  agent: { disabled: true },
  showDeveloperTools: "never",
};

const STYLE = `body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1a1a1a}
main{max-width:40rem;margin:3rem auto;padding:0 1.25rem}h1{margin:0 0 .25rem}code{font-size:.95em}
a{color:#c2410c}li{margin:.35rem 0}`;

const homePage = html`<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Flarecast</title>
    <style>${raw(STYLE)}</style>
  </head>
  <body>
    <main>
      <h1>Flarecast</h1>
      <p>Open-source email marketing on Cloudflare Workers. This is its HTTP API: templates, audiences, sending
        domains, providers and warming, under <code>/workspaces/{workspace}/…</code> with a workspace API key.</p>
      <ul>
        <li><a href="/docs">/docs</a> — the API reference</li>
        <li><a href="/openapi.json">/openapi.json</a> — the OpenAPI 3.1 document it is built from</li>
        <li><a href="/health">/health</a> — whether the Worker and its database answer</li>
      </ul>
    </main>
  </body>
</html>`;

const docsPage = html`<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Flarecast API</title>
  </head>
  <body>
    <div id="api-reference"></div>
    <script src="${API_REFERENCE_ASSET}"></script>
    <script>
      Scalar.createApiReference("#api-reference", ${raw(JSON.stringify(apiReferenceConfig))});
    </script>
  </body>
</html>`;

export const docsRouter = createRouter()
  .get("/", (c) => c.html(homePage))
  .get("/docs", (c) => c.html(docsPage))
  .get(API_REFERENCE_ASSET, async (c) =>
    c.body(await loadApiReferenceBundle(), 200, {
      "content-type": "text/javascript; charset=utf-8",
      "cache-control": "public, max-age=31536000, immutable",
    }),
  );
