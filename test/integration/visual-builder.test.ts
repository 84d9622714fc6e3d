import { describe, expect, it } from "vitest";
import { blockTypes } from "../../src/domain/builder/design-schema";
import { api, createWorkspace } from "../factories/api";
import { everyBlockContext, everyBlockDesign, specExampleDesign } from "../fixtures/designs";

async function setup() {
  const { workspace, key } = await createWorkspace({ postal_address: "Acme Inc.\n1 Main St" });
  const base = `/workspaces/${workspace.id}`;
  const call = (path: string, method = "GET", body?: unknown) => api(`${base}${path}`, { method, token: key, body });
  return { workspace, key, call };
}

const promo = {
  name: "Promo banner",
  definition: { type: "hero", props: { title: "Spring sale", buttonText: "Shop now", buttonHref: "https://example.com/sale" } },
  default_props: { backgroundColor: "#b91c1c" },
};

describe("visual-builder blocks", () => {
  it("lists every built-in block with a JSON Schema of its props", async () => {
    const { call } = await setup();
    const res = await call("/visual-builder/blocks");
    expect(res.status).toBe(200);
    expect(res.json.built_in.map((b: { type: string }) => b.type).sort()).toEqual([...blockTypes].sort());
    const button = res.json.built_in.find((b: { type: string }) => b.type === "button");
    expect(button.props_schema).toMatchObject({ type: "object", required: expect.arrayContaining(["text", "href"]) });
    expect(res.json.custom).toEqual([]);
  });

  it("saves a custom block that designs use by slug, with overrides", async () => {
    const { call } = await setup();
    const created = await call("/visual-builder/blocks", "POST", promo);
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ slug: "promo-banner", default_props: { backgroundColor: "#b91c1c" } });
    expect((await call("/visual-builder/blocks")).json.custom).toHaveLength(1);

    const design = { ...specExampleDesign, blocks: [{ type: "custom", props: { slug: "promo-banner", overrides: { title: "Autumn sale" } } }] };
    const rendered = await call("/visual-builder/render", "POST", { design });
    expect(rendered.status).toBe(200);
    expect(rendered.json.html).toContain("Autumn sale");
    expect(rendered.json.html).toContain("background-color:#b91c1c");
    expect(rendered.json.html).toContain('href="https://example.com/sale"');

    const unknown = await call("/visual-builder/render", "POST", { design: { ...design, blocks: [{ type: "custom", props: { slug: "nope" } }] } });
    expect(unknown.status).toBe(422);
    expect(unknown.json.errors[0]).toMatchObject({ path: "design" });
    expect(unknown.json.detail).toContain('"nope"');

    const broken = await call("/visual-builder/render", "POST", {
      design: { ...design, blocks: [{ type: "custom", props: { slug: "promo-banner", overrides: { backgroundColor: "red" } } }] },
    });
    expect(broken.status).toBe(422);
  });

  it("refuses invalid custom blocks with the path, and duplicate slugs", async () => {
    const { call } = await setup();
    const bad = await call("/visual-builder/blocks", "POST", { ...promo, definition: { type: "hero", props: {} } });
    expect(bad.status).toBe(422);
    expect(bad.json.errors.map((e: { path: string }) => e.path)).toContain("definition.props.title");
    const badDefaults = await call("/visual-builder/blocks", "POST", { ...promo, default_props: { backgroundColor: 42 } });
    expect(badDefaults.status).toBe(422);
    expect(badDefaults.json.errors[0].path).toBe("default_props.backgroundColor");
    const nested = await call("/visual-builder/blocks", "POST", {
      ...promo,
      definition: { type: "container", props: {}, children: [{ type: "custom", props: { slug: "x" } }] },
    });
    expect(nested.status).toBe(422);

    expect((await call("/visual-builder/blocks", "POST", { ...promo, slug: "promo" })).status).toBe(201);
    expect((await call("/visual-builder/blocks", "POST", { ...promo, slug: "promo" })).status).toBe(409);
  });
});

describe("visual-builder designs", () => {
  it("saves, reads, lists, updates and deletes designs", async () => {
    const { call } = await setup();
    const created = await call("/visual-builder/designs", "POST", { name: "Launch", design: specExampleDesign });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ name: "Launch", design: specExampleDesign, template_id: null });
    expect((await call(`/visual-builder/designs/${created.json.id}`)).json).toEqual(created.json);
    expect((await call("/visual-builder/designs")).json.data).toHaveLength(1);

    const updated = await call(`/visual-builder/designs/${created.json.id}`, "PATCH", { design: everyBlockDesign });
    expect(updated.json.design).toEqual(everyBlockDesign);
    expect((await call(`/visual-builder/designs/${created.json.id}`, "DELETE")).status).toBe(204);
    expect((await call(`/visual-builder/designs/${created.json.id}`)).status).toBe(404);
  });

  it("rejects a design that breaks the nesting rules, naming the path", async () => {
    const { call } = await setup();
    const design = {
      ...specExampleDesign,
      blocks: [{ type: "section", props: {}, children: [{ type: "column", props: {}, children: [{ type: "section", props: {}, children: [] }] }] }],
    };
    const res = await call("/visual-builder/designs", "POST", { name: "Bad", design });
    expect(res.status).toBe(422);
    expect(res.json.errors[0].path).toMatch(/^design\.blocks\.0\.children\.0\.children\.0/);

    const orphanColumn = await call("/visual-builder/render", "POST", { design: { ...specExampleDesign, blocks: [{ type: "column", props: {}, children: [] }] } });
    expect(orphanColumn.status).toBe(422);
  });

  it("renders a design with a context", async () => {
    const { call } = await setup();
    const res = await call("/visual-builder/render", "POST", { design: everyBlockDesign, context: everyBlockContext, preview_text: "Big news" });
    expect(res.status).toBe(200);
    expect(res.json.html).toContain("Your trial ends on December 12.");
    expect(res.json.html).toContain("Big news");
    expect(res.json.html).not.toContain("data-fc-");
    expect(res.json.template_html).toContain('data-fc-block="loop"');
  });

  it("converts a design into a visual template linked to it", async () => {
    const { call } = await setup();
    const { json: stored } = await call("/visual-builder/designs", "POST", { name: "Launch", design: everyBlockDesign });
    const res = await call(`/visual-builder/designs/${stored.id}/convert-to-template`, "POST", {
      subject_template: "Flarecast 2.0 is here, {{ recipient_name }}",
      category: "release",
      preview_text: "Everything new",
    });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({ name: "Launch", template_type: "visual", category: "release", visual_definition: everyBlockDesign, version: 1 });
    expect((await call(`/visual-builder/designs/${stored.id}`)).json.template_id).toBe(res.json.id);

    const preview = await call(`/email-marketing/templates/${res.json.id}/preview`, "POST", { context: everyBlockContext });
    expect(preview.status).toBe(200);
    expect(preview.json.subject).toBe("Flarecast 2.0 is here, Ada");
    expect(preview.json.html).toContain("Everything new");
    expect(preview.json.warnings.map((w: { code: string }) => w.code)).not.toContain("missing_unsubscribe_link");
  });

  it("keeps other workspaces' designs out of reach", async () => {
    const mine = await setup();
    const theirs = await setup();
    const { json: stored } = await theirs.call("/visual-builder/designs", "POST", { name: "Secret", design: specExampleDesign });
    expect((await mine.call(`/visual-builder/designs/${stored.id}`)).status).toBe(404);
    expect((await mine.call(`/visual-builder/designs/${stored.id}/convert-to-template`, "POST", { subject_template: "x" })).status).toBe(404);
    await theirs.call("/visual-builder/blocks", "POST", promo);
    const usesTheirBlock = await mine.call("/visual-builder/render", "POST", {
      design: { ...specExampleDesign, blocks: [{ type: "custom", props: { slug: "promo-banner" } }] },
    });
    expect(usesTheirBlock.status).toBe(422);
  });
});
