import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { configDefaults, defineConfig } from "vitest/config";
import { TEST_SECRETS } from "./test/secrets.ts";

export default defineConfig(async () => {
  const migrations = await readD1Migrations(path.join(import.meta.dirname, "migrations"));
  return {
    test: {
      projects: [
        {
          // Unit and integration tests, run inside workerd. The plugin lives in this project only: it rewrites
          // module resolution for the Workers runtime, which the Node-side browser project must not get.
          plugins: [
            cloudflareTest({
              wrangler: { configPath: "./wrangler.toml" },
              miniflare: { bindings: { ...TEST_SECRETS, TEST_MIGRATIONS: migrations } },
            }),
          ],
          test: {
            name: "workers",
            setupFiles: ["./test/apply-migrations.ts"],
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
