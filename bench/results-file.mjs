// Each benchmark owns one "## " section of bench/RESULTS.md and rewrites only that section.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

const TITLE = "# Benchmark results\n\nEach section below is written by the benchmark it names, with the command that reproduces it.";

/** Replaces the section that starts with `heading` (a "## " line), or appends it; the rest is left as it is. */
export function writeResultsSection(root, heading, section) {
  const file = path.join(root, "bench/RESULTS.md");
  const text = existsSync(file) ? readFileSync(file, "utf8") : `${TITLE}\n`;
  const lines = text.split("\n");
  const start = lines.findIndex((l) => l.trimEnd() === heading);
  let next;
  if (start === -1) {
    next = `${text.replace(/\n*$/, "")}\n\n${section}`;
  } else {
    let end = lines.findIndex((l, i) => i > start && /^#{1,2} /.test(l));
    if (end === -1) end = lines.length;
    const before = lines.slice(0, start).join("\n").replace(/\n*$/, "");
    const after = lines.slice(end).join("\n");
    next = `${before}\n\n${section.replace(/\n*$/, "")}${after ? `\n\n${after}` : ""}`;
  }
  writeFileSync(file, next.endsWith("\n") ? next : `${next}\n`);
}

/** Writes a run's figures to `jsonFile` (relative to `root`) and its section of bench/RESULTS.md. */
export function writeResults(root, heading, section, jsonFile, figures) {
  writeFileSync(path.resolve(root, jsonFile), `${JSON.stringify(figures, null, 2)}\n`);
  writeResultsSection(root, heading, section);
}
