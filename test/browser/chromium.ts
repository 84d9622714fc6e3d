/**
 * Debian's Chromium, driven by playwright-core, for the browser tests. CHROMIUM_PATH may point elsewhere
 * (another install, or a missing one to check the skip).
 */
import { existsSync } from "node:fs";
import { chromium } from "playwright-core";
import { describe, it } from "vitest";

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || "/usr/bin/chromium";

/** This machine's network is closed: without the background-networking flags Chromium keeps dialling out. */
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const INSTALL_HINT = "apt-get install -y chromium";

const inCI = !!process.env.CI && !["0", "false"].includes(process.env.CI.toLowerCase());
export const haveChromium = existsSync(CHROMIUM_PATH);

export const launchChromium = () => chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });

/**
 * Without Chromium a suite is skipped with a warning, except in CI (CI set to anything but "0" or "false"),
 * where a failing test says what to install: .ci/run installs it, so its absence there is a real failure.
 */
export function whenChromiumIsMissing(suite: string): void {
  if (haveChromium) return;
  if (inCI) {
    describe(suite, () => {
      it("needs Chromium", () => {
        throw new Error(
          `Chromium not found at ${CHROMIUM_PATH}, and CI is set, so ${suite} cannot be skipped. Install it: ${INSTALL_HINT}`,
        );
      });
    });
  } else {
    console.warn(`\n⚠ SKIPPING ${suite}: Chromium not found at ${CHROMIUM_PATH}.\n  Install it with: ${INSTALL_HINT}\n`);
  }
}
