// The API reference UI, served by the Worker itself so /docs needs no CDN. wrangler.toml's [[rules]] makes this
// import the file's text; the package is pinned exactly in package.json, and its version names the asset URL.
import bundle from "../../../node_modules/@scalar/api-reference/dist/browser/standalone.js";

export const API_REFERENCE_VERSION = "1.76.4";
export const apiReferenceBundle: string = bundle;
