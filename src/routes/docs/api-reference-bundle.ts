// The API reference UI, served by the Worker itself so /docs needs no CDN. wrangler.toml's [[rules]] makes the
// import below the file's text; the package is pinned exactly in package.json, and its version names the asset URL.

export const API_REFERENCE_VERSION = "1.76.4";

/** Imported when first asked for, so that Node tools that load the app (scripts/export-openapi.ts) never read it. */
export async function loadApiReferenceBundle(): Promise<string> {
  return (await import("../../../node_modules/@scalar/api-reference/dist/browser/standalone.js")).default;
}
