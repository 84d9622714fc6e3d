import { describe, expect, it } from "vitest";
import packageJson from "../../package.json";
import { createApp } from "../../src/app";
import { API_REFERENCE_ASSET } from "../../src/routes/docs";
import { API_REFERENCE_VERSION } from "../../src/routes/docs/api-reference-bundle";
import { api } from "../factories/api";

/** Pages and assets for people, not API operations. */
const UNDOCUMENTED = new Set(["/", "/openapi.json", "/docs", API_REFERENCE_ASSET]);

describe("GET /openapi.json", () => {
  it("is an OpenAPI 3.1 document that lists every route the app serves", async () => {
    const res = await api("/openapi.json");
    expect(res.status).toBe(200);
    expect(res.json.openapi).toBe("3.1.0");

    const served = createApp()
      .routes.filter((r) => r.method !== "ALL" && !UNDOCUMENTED.has(r.path))
      .map((r) => `${r.method.toLowerCase()} ${r.path.replace(/:(\w+)/g, "{$1}")}`);
    const documented = Object.entries(res.json.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => `${method} ${path}`),
    );
    expect(new Set(documented)).toEqual(new Set(served));
    expect(served.length).toBeGreaterThanOrEqual(9);
  });

  it("documents auth and problem+json errors on workspace routes", async () => {
    const { json } = await api("/openapi.json");
    const op = json.paths["/workspaces/{ws}"].get;
    expect(op.security).toEqual([{ workspaceKey: [] }]);
    expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(["200", "401", "404"]));
    expect(op.responses["401"].content).toHaveProperty("application/problem+json");
    expect(json.components.securitySchemes).toHaveProperty("adminToken");
  });
});

/** Every schema object in the document with a `pattern`, and where it sits. */
function patternsIn(node: unknown, path = "#"): { path: string; pattern: string; example?: unknown }[] {
  if (Array.isArray(node)) return node.flatMap((item, i) => patternsIn(item, `${path}/${i}`));
  if (typeof node !== "object" || node === null) return [];
  const here =
    "pattern" in node && typeof node.pattern === "string"
      ? [{ path, pattern: node.pattern, example: (node as { example?: unknown }).example }]
      : [];
  return [...here, ...Object.entries(node).flatMap(([key, value]) => patternsIn(value, `${path}/${key}`))];
}

describe("patterns in /openapi.json", () => {
  it("are ECMA-262 regular expressions without flags, as JSON Schema validators compile them, and accept their examples", async () => {
    const { json } = await api("/openapi.json");
    const patterns = patternsIn(json.paths).concat(patternsIn(json.components));
    expect(patterns.length).toBeGreaterThan(0);
    for (const { path, pattern, example } of patterns) {
      expect(() => new RegExp(pattern), path).not.toThrow();
      expect(() => new RegExp(pattern, "u"), path).not.toThrow();
      expect(pattern, `${path} ends in a regex literal's flags, which a pattern cannot carry`).not.toMatch(/\/[dgimsuvy]+$/);
      if (typeof example === "string") expect(new RegExp(pattern, "u").test(example), `${path}: ${example}`).toBe(true);
    }
  });

  it("accept a domain suppression as the API does, whatever its case", async () => {
    const { json } = await api("/openapi.json");
    const domain = new RegExp(json.components.schemas.CreateSuppression.properties.domain.pattern, "u");
    expect(domain.test("example.com")).toBe(true);
    expect(domain.test("Mail.Example.COM")).toBe(true);
    expect(domain.test("not a domain")).toBe(false);
  });
});

/** Every URL the page loads a script or a stylesheet from. */
function loadedUrls(page: string): string[] {
  const scripts = [...page.matchAll(/<script\b[^>]*\bsrc="([^"]*)"/g)].map((m) => m[1]);
  const styles = [...page.matchAll(/<link\b[^>]*\bhref="([^"]*)"/g)].map((m) => m[1]);
  const imports = [...page.matchAll(/@import\s+(?:url\()?["']?([^"')\s]+)/g)].map((m) => m[1]);
  return [...scripts, ...styles, ...imports];
}

describe("nullable references in /openapi.json", () => {
  // `.nullable()` on a named schema is written as a bare $ref, so clients generated from the document refuse null.
  it("allow null where the API sends or takes null", async () => {
    const { components } = (await api("/openapi.json")).json;
    const allowsNull = (schema: { type?: unknown; anyOf?: { type?: unknown }[] }) =>
      [schema.type, ...(schema.anyOf ?? []).map((s) => s.type)].flat().includes("null");
    const nullable: [string, string][] = [
      ["Job", "last_run"],
      ["AudiencePreviewRequest", "audience_filters"],
      ["WarmingProgress", "schedule"],
      ["EmailTemplate", "visual_definition"],
    ];
    for (const [schema, property] of nullable) {
      expect(allowsNull(components.schemas[schema].properties[property]), `${schema}.${property}`).toBe(true);
    }
  });
});

describe("GET /docs", () => {
  it("renders the API reference for the document from this origin only, so it works offline", async () => {
    const res = await api("/docs");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/html");
    expect(res.text).toContain("/openapi.json");
    const urls = loadedUrls(res.text);
    expect(urls).toEqual([API_REFERENCE_ASSET]);
    for (const url of urls) expect(new URL(url, "http://flarecast.test").origin).toBe("http://flarecast.test");
  });

  it("serves the reference UI's script with a long-lived cache header, at a URL that names its version", async () => {
    const res = await api(API_REFERENCE_ASSET);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/javascript/);
    expect(res.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(res.text).toContain(`@scalar/api-reference@${API_REFERENCE_VERSION}`);
    expect(res.text).toContain("createApiReference");
    expect(packageJson.dependencies["@scalar/api-reference"]).toBe(API_REFERENCE_VERSION);
  });
});

describe("GET /", () => {
  it("says what this is and links the reference, the document and the health check", async () => {
    const res = await api("/");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/html");
    expect(res.text).toContain("Flarecast");
    for (const link of ["/docs", "/openapi.json", "/health"]) expect(res.text).toContain(`href="${link}"`);
    expect(loadedUrls(res.text)).toEqual([]);
  });
});

describe("unknown routes", () => {
  it("answer 404 problem+json", async () => {
    const res = await api("/nope");
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(res.json).toMatchObject({ type: "urn:flarecast:problem:not_found", status: 404, title: "Not found" });
  });
});

describe("GET /health", () => {
  it("reports the Worker and D1 as up", async () => {
    const res = await api("/health");
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ status: "ok", database: "ok" });
  });
});
