import { readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { configDefaults, defineConfig } from "vitest/config";
import { TEST_SECRETS } from "./test/secrets.ts";

/** A port nothing listens on now: the local stand-ins of providers and DNS bind to these. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

/**
 * workerd trusts the certificates in NODE_EXTRA_CA_CERTS besides the public roots, and miniflare reads the
 * variable once, when it is first imported: so the test CA that signed the TLS stand-ins' certificate is added
 * here (to whatever the variable already names), before the plugin is imported below.
 */
function trustTestCertificateAuthority(): void {
  const testCa = readFileSync(path.join(import.meta.dirname, "test/stand-ins/tls/ca.pem"), "utf8");
  const existing = process.env.NODE_EXTRA_CA_CERTS ? readFileSync(process.env.NODE_EXTRA_CA_CERTS, "utf8") : "";
  if (existing.includes(testCa)) return;
  const bundle = path.join(tmpdir(), `flarecast-test-ca-${process.pid}.pem`);
  writeFileSync(bundle, `${existing}\n${testCa}`);
  process.env.NODE_EXTRA_CA_CERTS = bundle;
}

export default defineConfig(async () => {
  trustTestCertificateAuthority();
  const { cloudflareTest, readD1Migrations } = await import("@cloudflare/vitest-plugin");
  const migrations = await readD1Migrations(path.join(import.meta.dirname, "migrations"));
  // Chosen here, before the stand-ins start, so the Worker's bindings and the stand-ins agree; the stand-ins'
  // global setup reads them from the environment it shares with this file.
  process.env.FLARECAST_DOH_PORT ??= String(await freePort());
  process.env.FLARECAST_PROVIDER_HTTP_PORT ??= String(await freePort());
  process.env.FLARECAST_SMTP_PORT ??= String(await freePort());
  const standIns = {
    DNS_RESOLVER_URL: `http://127.0.0.1:${process.env.FLARECAST_DOH_PORT}/dns-query`,
    TEST_PROVIDER_HTTP_URL: `http://127.0.0.1:${process.env.FLARECAST_PROVIDER_HTTP_PORT}`,
    TEST_SMTP_PORT: process.env.FLARECAST_SMTP_PORT,
    // The SNS certificate host the provider webhook tests serve their self-signed certificate from (fetch is spied on).
    SNS_TRUSTED_CERT_HOSTS: "sns-stand-in.flarecast.test",
  };
  return {
    test: {
      projects: [
        {
          // Unit and integration tests, run inside workerd. The plugin lives in this project only: it rewrites
          // module resolution for the Workers runtime, which the Node-side browser project must not get.
          plugins: [
            cloudflareTest({
              wrangler: { configPath: "./wrangler.toml" },
              miniflare: { bindings: { ...TEST_SECRETS, ...standIns, TEST_MIGRATIONS: migrations } },
            }),
          ],
          test: {
            name: "workers",
            setupFiles: ["./test/apply-migrations.ts"],
            globalSetup: ["./test/stand-ins/doh.global.ts", "./test/stand-ins/providers.global.ts"],
            include: ["test/**/*.test.ts"],
            exclude: [...configDefaults.exclude, "test/browser/**"],
          },
        },
        {
          // Renders builder output in Node and lays it out in a real Chromium (playwright-core).
          test: {
            name: "browser",
            environment: "node",
            include: ["test/browser/**/*.test.ts"],
            testTimeout: 60_000,
            hookTimeout: 60_000,
          },
        },
      ],
    },
  };
});
