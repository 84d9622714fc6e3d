// Writes the OpenAPI document the Worker serves at /openapi.json, so that it can be linted without a server.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { createApp, OPENAPI_DOCUMENT } from "../src/app";

const out = process.argv[2] ?? "build/openapi.json";
const document = createApp().getOpenAPI31Document(OPENAPI_DOCUMENT);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(document, null, 2)}\n`);
console.log(`wrote ${out}: ${Object.keys(document.paths ?? {}).length} paths`);
