import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

const ROOT = path.resolve(import.meta.dirname, "..");

/**
 * The settings `wrangler dev` runs with: `.dev.vars` when there is one, else `.dev.vars.example`. `file` is relative
 * to the repository root (for --env-file); `vars` maps each name to its value.
 */
export function devVars() {
  const file = existsSync(path.join(ROOT, ".dev.vars")) ? ".dev.vars" : ".dev.vars.example";
  const vars = Object.fromEntries(
    readFileSync(path.join(ROOT, file), "utf8")
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith("#") && l.includes("="))
      .map((l) => [l.slice(0, l.indexOf("=")).trim(), l.slice(l.indexOf("=") + 1).trim()]),
  );
  return { file, vars };
}
