/**
 * Lays out the visual builder's compiled output in a real Chromium, at desktop (600 px) and phone (375 px)
 * widths. Runs in the Node "browser" vitest project, not in workerd.
 *
 * Needs Debian's Chromium at /usr/bin/chromium (`apt-get install -y chromium`). Without it the tests are
 * skipped with a warning, except when CI is set (to anything but "0" or "false"): then they fail.
 */
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { designToTemplate } from "../../src/domain/builder/compile";
import { renderTemplate } from "../../src/domain/templates/render";
import { everyBlockContext, everyBlockDesign } from "../fixtures/designs";
import { haveChromium, launchChromium, whenChromiumIsMissing } from "./chromium";

/**
 * Stands in for every remote image: large enough (1200×600) that an image without fluid sizing would overflow
 * a phone screen, and served from memory so nothing goes to the network.
 */
const PLACEHOLDER_IMAGE =
  '<svg xmlns="http://www.w3.org/2000/svg" width="1200" height="600" viewBox="0 0 1200 600">' +
  '<rect width="1200" height="600" fill="#94a3b8"/><path d="M0 0L1200 600M1200 0L0 600" stroke="#475569" stroke-width="8"/>' +
  "</svg>";

// The callbacks given to page.evaluate run inside Chromium, but this file is type-checked without the DOM library
// (tsconfig.json has the Worker types, tsconfig.node.json the Node types). The few DOM members those callbacks
// use are declared here, scoped to this module.
interface PageBox {
  top: number;
  left: number;
  right: number;
  width: number;
  height: number;
}
interface PageElement {
  readonly tagName: string;
  getAttribute(name: string): string | null;
  getBoundingClientRect(): PageBox;
}
interface PageImage extends PageElement {
  readonly naturalWidth: number;
}
declare const document: {
  documentElement: { clientWidth: number; scrollWidth: number };
  body: { querySelectorAll(selectors: string): ArrayLike<PageElement> };
  querySelectorAll(selectors: "img"): ArrayLike<PageImage>;
  querySelectorAll(selectors: string): ArrayLike<PageElement>;
};

async function renderEveryBlockDesign(): Promise<string> {
  const body_html = designToTemplate(everyBlockDesign, { previewText: "Everything new in Flarecast 2.0" });
  const rendered = await renderTemplate(
    { subject_template: "Flarecast 2.0", body_html, body_text: null, preview_text: null, variables: [] },
    everyBlockContext,
  );
  return rendered.html;
}

interface Overflow {
  element: string;
  left: number;
  right: number;
  width: number;
}

/** Every rendered element whose box reaches past the viewport's left or right edge (1 px allowed for rounding). */
const overflowingElements = (page: Page): Promise<Overflow[]> =>
  page.evaluate(() => {
    const viewport = document.documentElement.clientWidth;
    const label = (el: PageElement) => {
      const cls = el.getAttribute("class");
      const style = el.getAttribute("style");
      return `<${el.tagName.toLowerCase()}${cls ? ` class="${cls}"` : ""}${style ? ` style="${style.slice(0, 80)}"` : ""}>`;
    };
    const found: { element: string; left: number; right: number; width: number }[] = [];
    for (const el of Array.from(document.body.querySelectorAll("*"))) {
      const box = el.getBoundingClientRect();
      if (box.width === 0 && box.height === 0) continue; // not rendered (e.g. the hidden preheader)
      if (box.right > viewport + 1 || box.left < -1) {
        found.push({ element: label(el), left: box.left, right: box.right, width: box.width });
      }
    }
    return found;
  });

whenChromiumIsMissing("builder layout in Chromium");

describe.skipIf(!haveChromium)("builder layout in Chromium", () => {
  let browser: Browser;
  let page: Page;
  let html: string;
  const screenshotDir = mkdtempSync(path.join(os.tmpdir(), "flarecast-builder-layout-"));

  beforeAll(async () => {
    html = await renderEveryBlockDesign();
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 600, height: 900 } });
    // Nothing leaves the machine: remote images get an in-memory placeholder, every other request is aborted.
    await page.route("**/*", (route) => {
      const request = route.request();
      if (request.resourceType() === "image") {
        return route.fulfill({ status: 200, contentType: "image/svg+xml", body: PLACEHOLDER_IMAGE });
      }
      return route.abort();
    });
  });

  afterAll(async () => {
    await browser?.close();
  });

  async function layOut(width: number): Promise<void> {
    await page.setViewportSize({ width, height: 900 });
    await page.setContent(html, { waitUntil: "load" });
    const file = path.join(screenshotDir, `every-block-${width}px.png`);
    await page.screenshot({ path: file, fullPage: true });
    console.log(`builder layout screenshot (${width} px): ${file}`);
  }

  // At exactly 600 px the compiled mobile media query (max-width:620px) already applies; the container still
  // measures its full 600 px.
  it("lays the container out 600 px wide in a 600 px viewport", async () => {
    await layOut(600);
    const container = page.locator("table.fc-container");
    expect(await container.count()).toBe(1);
    const box = await container.boundingBox();
    expect(box?.width).toBe(600);
  });

  describe("on a 375 px phone", () => {
    beforeAll(async () => {
      await layOut(375);
    });

    it("has no horizontal overflow", async () => {
      const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
      expect(scrollWidth).toBeLessThanOrEqual(375);
      expect(await overflowingElements(page)).toEqual([]);
    });

    it("shows the Upgrade now button inside the viewport, linking to the upgrade page", async () => {
      const button = page.getByRole("link", { name: "Upgrade now", exact: true });
      expect(await button.count()).toBe(1);
      expect(await button.isVisible()).toBe(true);
      expect(await button.getAttribute("href")).toBe("https://example.com/upgrade");
      const box = await button.boundingBox();
      expect(box).not.toBeNull();
      expect(box!.width).toBeGreaterThan(0);
      expect(box!.height).toBeGreaterThan(0);
      expect(box!.x).toBeGreaterThanOrEqual(-1);
      expect(box!.x + box!.width).toBeLessThanOrEqual(375 + 1);
    });

    it("gives every image a non-empty alt text", async () => {
      const images = await page.evaluate(() =>
        Array.from(document.querySelectorAll("img"), (img) => ({ src: img.getAttribute("src"), alt: img.getAttribute("alt") })),
      );
      expect(images.length).toBeGreaterThan(0);
      expect(images.filter((img) => !img.alt?.trim())).toEqual([]);
    });

    it("stacks the section's columns and keeps images fluid", async () => {
      const columns = await page.evaluate(() =>
        Array.from(document.querySelectorAll("td.fc-column"), (td) => {
          const box = td.getBoundingClientRect();
          return { top: box.top, left: box.left, width: box.width };
        }),
      );
      expect(columns).toHaveLength(2);
      expect(columns[1].top).toBeGreaterThan(columns[0].top); // one above the other, not side by side
      expect(columns[1].left).toBe(columns[0].left);
      const images = await page.evaluate(() =>
        Array.from(document.querySelectorAll("img"), (img) => ({
          alt: img.getAttribute("alt"),
          width: img.getBoundingClientRect().width,
          natural: img.naturalWidth,
        })),
      );
      for (const image of images) {
        expect(image.natural, `${image.alt} loaded the placeholder`).toBe(1200);
        expect(image.width, `${image.alt} is scaled down to the phone`).toBeLessThanOrEqual(375);
      }
    });
  });
});
