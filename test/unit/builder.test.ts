import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { designToTemplate } from "../../src/domain/builder/compile";
import { NotABuilderTemplateError, templateToDesign } from "../../src/domain/builder/decompile";
import { blockTypes, DESIGN_LIMITS, DesignSchema } from "../../src/domain/builder/design-schema";
import { stripBuilderMarkers } from "../../src/domain/builder/markers";
import { parseLiquid } from "../../src/domain/templates/liquid";
import { renderTemplate } from "../../src/domain/templates/render";
import { designArbitrary } from "../fixtures/design-arbitrary";
import { everyBlockContext, everyBlockDesign, specExampleDesign } from "../fixtures/designs";

const render = (html: string, context: Record<string, unknown> = {}) =>
  renderTemplate({ subject_template: "s", body_html: html, body_text: null, preview_text: null, variables: [] }, context);

describe("designToTemplate", () => {
  it("renders the spec's example design", async () => {
    expect(DesignSchema.parse(specExampleDesign)).toEqual(specExampleDesign);
    const { html } = await render(designToTemplate(specExampleDesign), { recipient_name: "Grace" });
    expect(html).toContain("Welcome!");
    expect(html).toContain("Hello Grace!");
    expect(html).toContain('href="https://aexy.io/docs"');
    expect(html).toContain('width="600"');
    expect(html).not.toContain("data-fc-");
  });

  it("renders a design that uses every block type of the spec", async () => {
    const used = new Set<string>();
    const walk = (blocks: { type: string; children?: unknown[] }[]) =>
      blocks.forEach((b) => {
        used.add(b.type);
        walk((b.children ?? []) as never);
      });
    walk(everyBlockDesign.blocks);
    // custom blocks are a workspace's saved trees, tested below with the custom blocks they expand to.
    expect([...used].sort()).toEqual(blockTypes.filter((t) => t !== "custom").sort());

    const { html, text } = await render(designToTemplate(everyBlockDesign, { previewText: "Big news inside" }), everyBlockContext);
    expect(html).toContain("Your trial ends on December 12.");
    expect(html).toContain("<b>Editor</b>: Faster &amp; lighter");
    expect(html).toContain("<b>Routing</b>");
    expect(html).toContain("Pro");
    expect(html).toContain('href="https://example.com/preferences/tok/unsubscribe"');
    expect(html).toContain("1 Market St<br />");
    expect(html).toContain("Big news inside");
    expect(html).toContain('alt="A rocket leaving the launch pad"');
    expect(html).toMatch(/@media only screen and \(max-width:620px\)/);
    expect(text).toContain("Your trial ends on December 12.");
    expect(text).not.toContain("Big news inside");
  });

  it("escapes text props but keeps their Liquid", async () => {
    const design = { ...specExampleDesign, blocks: [{ type: "header" as const, props: { text: "Tom & Jerry <3 {{ name | upcase }}" } }] };
    const { html } = await render(designToTemplate(design), { name: "<script>" });
    expect(html).toContain("Tom &amp; Jerry &lt;3 &lt;SCRIPT&gt;");
  });

  it("keeps Liquid out of the markers, so props never execute", () => {
    const design = { ...specExampleDesign, blocks: [{ type: "text" as const, props: { text: "{% if x %}A{% endif %} {{ y }}" } }] };
    const html = designToTemplate(design);
    const markers = html.match(/data-fc-props="[^"]*"/g) ?? [];
    expect(markers.join("")).not.toMatch(/\{\{|\{%/);
    expect(() => parseLiquid(stripBuilderMarkers(html), "html")).not.toThrow();
  });
});

describe("DesignSchema limits", () => {
  it("refuses a tree 100,000 deep with the path where it passes the limit, without overflowing the stack", () => {
    let block: Record<string, unknown> = { type: "spacer", props: { height: 1 } };
    for (let i = 1; i < 100_000; i++) block = { type: "container", props: {}, children: [block] };
    const result = DesignSchema.safeParse({ ...specExampleDesign, blocks: [block] });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.path.join("."))).toEqual([
      ["blocks", ...Array(DESIGN_LIMITS.maxDepth).fill("0.children")].join("."),
    ]);
  });
});

describe("templateToDesign", () => {
  it("recovers every valid design from its compiled template (500 generated designs)", () => {
    fc.assert(
      fc.property(designArbitrary, (design) => {
        expect(DesignSchema.safeParse(design).success).toBe(true);
        const html = designToTemplate(design, { previewText: "Preview" });
        expect(templateToDesign(html)).toEqual(design);
        parseLiquid(stripBuilderMarkers(html), "html");
      }),
      { numRuns: 500 },
    );
  }, 30_000);

  it("recovers the every-block design", () => {
    expect(templateToDesign(designToTemplate(everyBlockDesign))).toEqual(everyBlockDesign);
  });

  it("recovers a custom block as its reference, not its expansion", () => {
    const customBlocks = new Map([
      [
        "promo",
        {
          definition: { type: "container" as const, props: {}, children: [{ type: "text" as const, props: { text: "Sale" } }] },
          default_props: {},
        },
      ],
    ]);
    const design = {
      ...specExampleDesign,
      blocks: [{ type: "custom" as const, props: { slug: "promo", overrides: { padding: 12 } } }, ...specExampleDesign.blocks],
    };
    const html = designToTemplate(design, { customBlocks });
    expect(html).toContain("Sale");
    expect(templateToDesign(html)).toEqual(design);
  });

  it("refuses HTML the builder did not produce", () => {
    expect(() => templateToDesign("<html><body><p>hand-written</p></body></html>")).toThrow(NotABuilderTemplateError);
  });
});
