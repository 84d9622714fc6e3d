/**
 * The preference center in a real Chromium, against the real Worker: wrangler's test harness runs src/index.ts
 * from wrangler.toml in a local workerd with a fresh in-memory D1 (migrated here), the test secrets bound, and
 * nothing persisted. Runs in the Node "browser" vitest project.
 *
 * Needs Debian's Chromium at /usr/bin/chromium (`apt-get install -y chromium`). Without it the tests are
 * skipped with a warning, except when CI is set (to anything but "0" or "false"): then they fail.
 */
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestHarness, type TestHarness } from "wrangler";
import { preferencesUrl } from "../../src/domain/preferences/tokens";
import { TEST_SECRETS } from "../secrets";
import { haveChromium, launchChromium, whenChromiumIsMissing } from "./chromium";

const ROOT = path.resolve(import.meta.dirname, "../..");

// Nothing leaves the machine: no Request.cf download, no wrangler metrics.
process.env.CLOUDFLARE_CF_FETCH_ENABLED = "false";
process.env.WRANGLER_SEND_METRICS = "false";

// page.evaluate callbacks run in Chromium, but this file is type-checked without the DOM library; the few DOM
// members they use are declared here, scoped to this module.
interface PageElement {
  readonly tagName: string;
  readonly id: string;
  readonly textContent: string | null;
  getAttribute(name: string): string | null;
  closest(selectors: string): PageElement | null;
  getBoundingClientRect(): { left: number; right: number; width: number; height: number };
}
declare const document: {
  documentElement: { clientWidth: number; scrollWidth: number };
  getElementById(id: string): PageElement | null;
  querySelector(selectors: string): PageElement | null;
  querySelectorAll(selectors: string): ArrayLike<PageElement>;
};

whenChromiumIsMissing("preference center in Chromium");

/** Controls whose accessible name comes from nowhere: no <label for>, no wrapping <label>, no aria-label(ledby), no button text. */
const unlabelledControls = (page: Page): Promise<string[]> =>
  page.evaluate(() => {
    const missing: string[] = [];
    for (const el of Array.from(document.querySelectorAll("input, select, textarea, button"))) {
      if (el.getAttribute("type") === "hidden") continue;
      const byFor = el.id ? document.querySelector(`label[for="${el.id}"]`)?.textContent : undefined;
      const byWrap = el.closest("label")?.textContent;
      const byAria = el.getAttribute("aria-label");
      const byLabelledBy = (el.getAttribute("aria-labelledby") ?? "")
        .split(/\s+/)
        .map((id) => (id ? document.getElementById(id)?.textContent : ""))
        .join("");
      const byText = el.tagName === "BUTTON" ? el.textContent : undefined;
      if (![byFor, byWrap, byAria, byLabelledBy, byText].some((name) => name?.trim())) {
        missing.push(`<${el.tagName.toLowerCase()} id="${el.id}" name="${el.getAttribute("name")}">`);
      }
    }
    return missing;
  });

/** Rendered elements reaching past the viewport's left or right edge (1 px allowed for rounding). */
const overflowingElements = (page: Page): Promise<string[]> =>
  page.evaluate(() => {
    const viewport = document.documentElement.clientWidth;
    const found: string[] = [];
    for (const el of Array.from(document.querySelectorAll("body *"))) {
      const box = el.getBoundingClientRect();
      if (box.width === 0 && box.height === 0) continue;
      if (box.right > viewport + 1 || box.left < -1)
        found.push(`<${el.tagName.toLowerCase()} class="${el.getAttribute("class") ?? ""}"> ${box.left}..${box.right}`);
    }
    return found;
  });

describe.skipIf(!haveChromium)("preference center in Chromium", () => {
  let server: TestHarness;
  let base: URL;
  let browser: Browser;
  let page: Page;
  let ws: string;
  let key: string;
  let subscriberId: string;
  let pageUrl: string;
  const screenshotDir = mkdtempSync(path.join(os.tmpdir(), "flarecast-preferences-"));

  async function http(method: string, route: string, token: string, body?: unknown) {
    const res = await fetch(new URL(route, base), {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { "content-type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const json = (await res.json()) as any;
    if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  }

  const subscriber = () => http("GET", `/workspaces/${ws}/email-marketing/subscribers/${subscriberId}`, key);

  async function screenshot(name: string): Promise<void> {
    const file = path.join(screenshotDir, `${name}.png`);
    await page.screenshot({ path: file, fullPage: true });
    console.log(`preference center screenshot: ${file}`);
  }

  beforeAll(async () => {
    server = createTestHarness({ root: ROOT, workers: [{ configPath: "./wrangler.toml", secrets: TEST_SECRETS }] });
    base = (await server.listen()).url;
    await server.getWorker().applyD1Migrations("DB");

    const workspace = await http("POST", "/workspaces", TEST_SECRETS.ADMIN_TOKEN, {
      name: "Northwind Weekly",
      timezone: "UTC",
      postal_address: "12 Harbour Road, Portsmouth PO1 2AB, United Kingdom",
    });
    ws = workspace.id;
    key = workspace.api_key.key;
    for (const category of [
      {
        slug: "product_updates",
        name: "Product updates",
        description: "New features, releases and the occasional behind-the-scenes post.",
      },
      { slug: "offers", name: "Offers", description: "Discounts and early access to sales." },
      { slug: "events", name: "Events", description: "Webinars, meetups and community calls near you." },
    ]) {
      await http("POST", `/workspaces/${ws}/email-marketing/categories`, key, category);
    }
    const list = await http("POST", `/workspaces/${ws}/email-marketing/lists`, key, { name: "Newsletter" });
    await http("POST", `/workspaces/${ws}/email-marketing/lists/${list.id}/subscribers`, key, {
      subscribers: [{ email: "katherine.johnson@example.com", name: "Katherine" }],
    });
    const found = await http("GET", `/workspaces/${ws}/email-marketing/subscribers?email=katherine.johnson@example.com`, key);
    subscriberId = found.data[0].id;

    // The preference_token is a secret the API never returns; read it the way the send path will.
    const env = await server.getWorker<{ DB: D1Database }>().getEnv();
    const row = await env.DB.prepare("select preference_token from subscribers where id = ?")
      .bind(subscriberId)
      .first<{ preference_token: string }>();
    pageUrl = await preferencesUrl(
      { TRACKING_SIGNING_KEY: TEST_SECRETS.TRACKING_SIGNING_KEY, PUBLIC_BASE_URL: base.origin },
      { workspaceId: ws, subscriber: { id: subscriberId, preference_token: row!.preference_token }, campaignId: "cmp_spring" },
    );

    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 375, height: 812 } });
    // Only the Worker under test may be reached; the page must not need anything else (no fonts, no scripts).
    const outside: string[] = [];
    await page.route("**/*", (route) => {
      if (new URL(route.request().url()).origin === base.origin) return route.continue();
      outside.push(route.request().url());
      return route.abort();
    });
    afterAll(() => expect(outside).toEqual([]));
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("shows the workspace, the masked address, one labelled checkbox per category and the frequency", async () => {
    const res = await page.goto(pageUrl);
    expect(res?.status()).toBe(200);
    expect(await page.title()).toBe("Email preferences · Northwind Weekly");
    await expect(page.getByRole("heading", { level: 1 }).textContent()).resolves.toBe("Email preferences");
    expect(await page.locator("body").textContent()).toContain("k•••n@example.com");
    for (const name of ["Product updates", "Offers", "Events"]) {
      expect(await page.getByRole("checkbox", { name, exact: true }).isChecked()).toBe(true);
    }
    expect(await page.getByLabel("How often").inputValue()).toBe("immediate");
    expect(await page.locator("script").count()).toBe(0);
  });

  it("is laid out for a 375 px phone: no horizontal overflow, every control labelled", async () => {
    await page.goto(pageUrl);
    await screenshot("preferences-375px");
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    expect(await overflowingElements(page)).toEqual([]);
    expect(await unlabelledControls(page)).toEqual([]);
    const save = await page.getByRole("button", { name: "Save preferences" }).boundingBox();
    expect(save!.height).toBeGreaterThanOrEqual(44); // a comfortable touch target
  });

  it("saves a category and the frequency, and keeps them after a reload", async () => {
    await page.goto(pageUrl);
    await page.getByRole("checkbox", { name: "Offers", exact: true }).uncheck();
    await page.getByLabel("How often").selectOption("weekly");
    await Promise.all([page.waitForNavigation(), page.getByRole("button", { name: "Save preferences" }).click()]);
    await expect(page.getByRole("status").textContent()).resolves.toContain("Your preferences are saved");
    await screenshot("preferences-saved-375px");

    await page.goto(pageUrl);
    expect(await page.getByRole("checkbox", { name: "Offers", exact: true }).isChecked()).toBe(false);
    expect(await page.getByRole("checkbox", { name: "Product updates", exact: true }).isChecked()).toBe(true);
    expect(await page.getByRole("checkbox", { name: "Events", exact: true }).isChecked()).toBe(true);
    expect(await page.getByLabel("How often").inputValue()).toBe("weekly");
    expect(await subscriber()).toMatchObject({ frequency: "weekly", preferences: { offers: false, product_updates: true, events: true } });
  });

  it("unsubscribes from all through the page's button, and offers to resubscribe", async () => {
    await page.goto(pageUrl);
    await Promise.all([page.waitForNavigation(), page.getByRole("button", { name: "Unsubscribe from all" }).click()]);
    await expect(page.getByRole("heading", { level: 1 }).textContent()).resolves.toBe("You are unsubscribed");
    expect(await page.getByRole("button", { name: "Resubscribe" }).isVisible()).toBe(true);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    expect(await unlabelledControls(page)).toEqual([]);
    await screenshot("unsubscribed-375px");
    expect(await subscriber()).toMatchObject({ status: "unsubscribed", unsubscribe_source: "preference_center" });

    // Reloading the page (a GET) keeps the state and changes nothing.
    await page.goto(pageUrl);
    await expect(page.getByRole("heading", { level: 1 }).textContent()).resolves.toBe("You are unsubscribed");

    await Promise.all([page.waitForNavigation(), page.getByRole("button", { name: "Resubscribe" }).click()]);
    await expect(page.getByRole("status").textContent()).resolves.toContain("subscribed again");
    expect(await page.getByRole("checkbox", { name: "Offers", exact: true }).isChecked()).toBe(false);
    expect(await subscriber()).toMatchObject({ status: "active", unsubscribed_at: null });
  });

  it("answers an altered link with a page that tells nothing about the subscriber", async () => {
    const at = pageUrl.length - 10;
    const altered = pageUrl.slice(0, at) + (pageUrl[at] === "A" ? "B" : "A") + pageUrl.slice(at + 1);
    const res = await page.goto(altered);
    expect(res?.status()).toBe(404);
    await expect(page.getByRole("heading", { level: 1 }).textContent()).resolves.toBe("This link is not valid");
    const text = await page.locator("body").textContent();
    expect(text).not.toContain("Northwind");
    expect(text).not.toContain("example.com");
    await screenshot("invalid-link-375px");
  });

  it("looks right on a desktop too", async () => {
    await page.setViewportSize({ width: 1024, height: 800 });
    await page.goto(pageUrl);
    await screenshot("preferences-1024px");
    const card = await page.locator("main").boundingBox();
    expect(card!.width).toBeLessThanOrEqual(36 * 16);
    await page.setViewportSize({ width: 375, height: 812 });
  });
});
