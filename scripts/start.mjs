// `npm start`: prepares a fresh clone and runs the whole platform locally (D1, queues, Durable Objects, cron)
// on http://localhost:8787, then makes sure a demo workspace exists and prints how to use it.
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { Cron } from "croner";
import { seedDemo } from "./demo-seed.mjs";

const PORT = Number(process.env.PORT ?? 8787);
const BASE = `http://localhost:${PORT}`;
const DEMO_FILE = ".flarecast/demo-workspace.json";

function readDevVars() {
  return Object.fromEntries(
    readFileSync(".dev.vars", "utf8")
      .split("\n")
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith("#") && line.includes("="))
      .map((line) => [line.slice(0, line.indexOf("=")).trim(), line.slice(line.indexOf("=") + 1).trim()]),
  );
}

if (!existsSync(".dev.vars")) {
  copyFileSync(".dev.vars.example", ".dev.vars");
  console.log("Created .dev.vars from .dev.vars.example (local development secrets).");
}

/**
 * wrangler as a local tool: no usage metrics or error reports sent, no version banner, and no fetch of the
 * `Request.cf` object (nothing here reads it), so that an offline start prints no network errors.
 */
const wranglerEnv = {
  WRANGLER_SEND_METRICS: "false",
  WRANGLER_SEND_ERROR_REPORTS: "false",
  WRANGLER_HIDE_BANNER: "true",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  ...process.env,
};

// stdin is closed so wrangler applies the migrations without asking; its output (a table per migration) is kept
// for when it fails, and a success is one line.
const migrate = spawnSync("wrangler", ["d1", "migrations", "apply", "DB", "--local"], {
  stdio: ["ignore", "pipe", "pipe"],
  encoding: "utf8",
  env: wranglerEnv,
});
if (migrate.status !== 0) {
  process.stdout.write(migrate.stdout ?? "");
  process.stderr.write(migrate.stderr ?? "");
  process.exit(migrate.status ?? 1);
}
const applied = [...new Set(migrate.stdout.match(/\d{4}_[\w-]+\.sql/g) ?? [])];
console.log(
  applied.length > 0
    ? `Local D1: applied ${applied.length} migration(s): ${applied.join(", ")}`
    : "Local D1: up to date (no migrations to apply)",
);

/** Whatever already answers on the port would otherwise be greeted below as this Flarecast. */
function portIsFree(port) {
  return new Promise((resolve) => {
    const probe = createServer()
      .once("error", () => resolve(false))
      .listen(port, "localhost", () => probe.close(() => resolve(true)));
  });
}
if (!(await portIsFree(PORT))) {
  console.error(`Port ${PORT} is already in use: stop what runs there, or start on another port with PORT=${PORT + 1} npm start.`);
  process.exit(1);
}

// Links the Worker writes (preference pages, tracking) point at the port it really listens on.
const devArgs = ["dev", "--port", String(PORT), "--test-scheduled"];
if (PORT !== 8787) devArgs.push("--var", `PUBLIC_BASE_URL:${BASE}`, "--var", `EMAIL_TRACKING_DOMAIN:localhost:${PORT}`);
const dev = spawn("wrangler", devArgs, { stdio: "inherit", env: wranglerEnv });
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => dev.kill(signal));
dev.on("exit", (code) => process.exit(code ?? 0));

async function waitForHealth() {
  for (let attempt = 0; attempt < 120; attempt++) {
    try {
      const res = await fetch(`${BASE}/health`);
      if (res.ok) return true;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return false;
}

async function demoWorkspace(adminToken) {
  if (existsSync(DEMO_FILE)) {
    const saved = JSON.parse(readFileSync(DEMO_FILE, "utf8"));
    const res = await fetch(`${BASE}/workspaces/${saved.id}`, { headers: { authorization: `Bearer ${saved.api_key}` } });
    if (res.ok) return { ...saved, created: false };
  }
  const res = await fetch(`${BASE}/workspaces`, {
    method: "POST",
    headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
    body: JSON.stringify({ name: "Demo", timezone: Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC" }),
  });
  if (!res.ok) throw new Error(`could not create the demo workspace: ${res.status} ${await res.text()}`);
  const created = await res.json();
  const demo = { id: created.id, slug: created.slug, api_key: created.api_key.key };
  mkdirSync(".flarecast", { recursive: true });
  writeFileSync(DEMO_FILE, `${JSON.stringify(demo, null, 2)}\n`);
  return { ...demo, created: true };
}

/**
 * `wrangler dev` fires no cron trigger by itself, so scheduled campaigns would never start locally. At the start of
 * each minute this fires the triggers of wrangler.toml whose time it is, through wrangler's /__scheduled route.
 */
function tickCronTriggers() {
  const crons = [...readFileSync("wrangler.toml", "utf8").matchAll(/^crons\s*=\s*\[([^\]]*)\]/gm)].flatMap((m) =>
    [...m[1].matchAll(/"([^"]+)"/g)].map((c) => c[1]),
  );
  const fire = () => {
    // The minute itself: a 5-field cron matches second 0 only, and a timer fires some milliseconds late.
    const now = new Date(Math.floor(Date.now() / 60_000) * 60_000);
    for (const cron of crons) {
      if (!new Cron(cron, { timezone: "UTC", paused: true }).match(now)) continue;
      fetch(`${BASE}/__scheduled?cron=${encodeURIComponent(cron)}`).catch(() => undefined);
    }
  };
  const untilNextMinute = 60_000 - (Date.now() % 60_000);
  setTimeout(() => {
    fire();
    setInterval(fire, 60_000).unref();
  }, untilNextMinute).unref();
}

if (await waitForHealth()) {
  tickCronTriggers();
  const { ADMIN_TOKEN } = readDevVars();
  try {
    const demo = await demoWorkspace(ADMIN_TOKEN);
    const seeded = await seedDemo(BASE, demo);
    const { created: _created, ...saved } = demo;
    writeFileSync(DEMO_FILE, `${JSON.stringify({ ...saved, seeded }, null, 2)}\n`);
    const auth = `-H "Authorization: Bearer ${demo.api_key}"`;
    const marketing = `${BASE}/workspaces/${demo.slug}/email-marketing`;
    console.log(`
Flarecast is running on ${BASE}
  API reference   ${BASE}/docs
  OpenAPI         ${BASE}/openapi.json
  Demo workspace  ${demo.slug} (${demo.id})${demo.created ? ", created now" : ""}
  Its API key     ${demo.api_key}   (also in ${DEMO_FILE})

  curl -H "Authorization: Bearer ${demo.api_key}" ${BASE}/workspaces/${demo.slug}
  curl -X POST -H "Authorization: Bearer <ADMIN_TOKEN from .dev.vars>" -H "content-type: application/json" \\
       -d '{"name":"Acme","timezone":"Europe/Berlin"}' ${BASE}/workspaces
  curl "${BASE}/__scheduled?cron=*+*+*+*+*"    runs the every-minute jobs now (they also run at the start of each minute)

Send the demo campaign (three subscribers, through the local capture provider) and read what went out:
  curl -X POST ${auth} ${marketing}/campaigns/${seeded.campaign_id}/send
  curl ${auth} ${marketing}/campaigns/${seeded.campaign_id}/recipients
  curl ${auth} ${BASE}/workspaces/${demo.slug}/email-infrastructure/providers/${seeded.provider_id}/messages
`);
  } catch (err) {
    console.error(String(err));
  }
} else {
  console.error(`Flarecast did not answer on ${BASE}/health within a minute; see wrangler's output above.`);
}
