import { describe, expect, it } from "vitest";
import { blockTypes, DESIGN_LIMITS } from "../../src/domain/builder/design-schema";
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

    const design = {
      ...specExampleDesign,
      blocks: [{ type: "custom", props: { slug: "promo-banner", overrides: { title: "Autumn sale" } } }],
    };
    const rendered = await call("/visual-builder/render", "POST", { design });
    expect(rendered.status).toBe(200);
    expect(rendered.json.html).toContain("Autumn sale");
    expect(rendered.json.html).toContain("background-color:#b91c1c");
    expect(rendered.json.html).toContain('href="https://example.com/sale"');

    const unknown = await call("/visual-builder/render", "POST", {
      design: { ...design, blocks: [{ type: "custom", props: { slug: "nope" } }] },
    });
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
      blocks: [
        { type: "section", props: {}, children: [{ type: "column", props: {}, children: [{ type: "section", props: {}, children: [] }] }] },
      ],
    };
    const res = await call("/visual-builder/designs", "POST", { name: "Bad", design });
    expect(res.status).toBe(422);
    expect(res.json.errors[0].path).toMatch(/^design\.blocks\.0\.children\.0\.children\.0/);

    const orphanColumn = await call("/visual-builder/render", "POST", {
      design: { ...specExampleDesign, blocks: [{ type: "column", props: {}, children: [] }] },
    });
    expect(orphanColumn.status).toBe(422);
  });

  it("renders a design with a context", async () => {
    const { call } = await setup();
    const res = await call("/visual-builder/render", "POST", {
      design: everyBlockDesign,
      context: everyBlockContext,
      preview_text: "Big news",
    });
    expect(res.status).toBe(200);
    expect(res.json.html).toContain("Your trial ends on December 12.");
    expect(res.json.html).toContain("Big news");
    expect(res.json.html).not.toContain("data-fc-");
    expect(res.json.template_html).toContain('data-fc-block="loop"');
  });

  it("refuses a design whose text loads another template with 422, not a render failure", async () => {
    const { call } = await setup();
    for (const [tag, source] of [
      ["render", "{% render 'footer' %}"],
      ["include", "{% include 'footer' %}"],
      ["layout", "{% layout 'base' %}"],
    ]) {
      const design = { ...specExampleDesign, blocks: [{ type: "text", props: { text: `Hi ${source}` } }] };
      const res = await call("/visual-builder/render", "POST", { design });
      expect(res.status, tag).toBe(422);
      expect(res.json.detail, tag).toContain(`{% ${tag} %}`);
    }
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
    expect(res.json).toMatchObject({
      name: "Launch",
      template_type: "visual",
      category: "release",
      visual_definition: everyBlockDesign,
      version: 1,
    });
    expect((await call(`/visual-builder/designs/${stored.id}`)).json.template_id).toBe(res.json.id);

    const preview = await call(`/email-marketing/templates/${res.json.id}/preview`, "POST", { context: everyBlockContext });
    expect(preview.status).toBe(200);
    expect(preview.json.subject).toBe("Flarecast 2.0 is here, Ada");
    expect(preview.json.html).toContain("Everything new");
    expect(preview.json.warnings.map((w: { code: string }) => w.code)).not.toContain("missing_unsubscribe_link");
  });

  it("template_to_design, which the README promises, is reachable over the API", async () => {
    const doc = (await api("/openapi.json")).json;
    const operations = Object.entries(doc.paths as Record<string, Record<string, { operationId?: string }>>).flatMap(([path, ops]) =>
      Object.values(ops).map((op) => `${path} ${op.operationId ?? ""}`),
    );
    expect(operations.filter((o) => /to-design|todesign|to_design/i.test(o))).not.toEqual([]);
  });

  it("recovers the design of a visual template, by id, slug or HTML", async () => {
    const { call } = await setup();
    const { json: stored } = await call("/visual-builder/designs", "POST", { name: "Launch", design: everyBlockDesign });
    const { json: template } = await call(`/visual-builder/designs/${stored.id}/convert-to-template`, "POST", {
      slug: "launch",
      subject_template: "Hi",
      preview_text: "Everything new",
    });
    for (const body of [{ template_id: template.id }, { template_id: "launch" }, { html: template.body_html }]) {
      const res = await call("/visual-builder/template-to-design", "POST", body);
      expect(res.status).toBe(200);
      expect(res.json).toEqual({ design: everyBlockDesign });
    }
  });

  it("refuses HTML the builder did not make, and unknown templates, with 422 naming the field", async () => {
    const { call } = await setup();
    await call("/email-marketing/templates", "POST", { name: "Code", slug: "code", subject_template: "Hi", body_html: "<p>Hi</p>" });
    const cases: [Record<string, unknown>, string][] = [
      [{ template_id: "code" }, "template_id"],
      [{ template_id: "tpl_unknown" }, "template_id"],
      [{ html: "<html><body><p>hand-written</p></body></html>" }, "html"],
      [{ html: '<table data-fc-design="not json"></table>' }, "html"],
      [{}, "template_id"],
      [{ template_id: "code", html: "<p>Hi</p>" }, "html"],
    ];
    for (const [body, path] of cases) {
      const res = await call("/visual-builder/template-to-design", "POST", body);
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect(res.json.errors[0]).toMatchObject({ location: "body", path });
    }
    const code = await call("/visual-builder/template-to-design", "POST", { template_id: "code" });
    expect(code.json.errors[0].message).toMatch(/not made by the visual builder/);
  });

  it("keeps other workspaces' templates out of template_to_design", async () => {
    const mine = await setup();
    const theirs = await setup();
    const { json: template } = await theirs.call("/email-marketing/templates", "POST", {
      name: "V",
      template_type: "visual",
      subject_template: "Hi",
      visual_definition: specExampleDesign,
    });
    expect((await theirs.call("/visual-builder/template-to-design", "POST", { template_id: template.id })).status).toBe(200);
    const res = await mine.call("/visual-builder/template-to-design", "POST", { template_id: template.id });
    expect(res.status).toBe(422);
    expect(res.json.errors[0]).toMatchObject({ path: "template_id" });
  });

  it("keeps other workspaces' designs out of reach", async () => {
    const mine = await setup();
    const theirs = await setup();
    const { json: stored } = await theirs.call("/visual-builder/designs", "POST", { name: "Secret", design: specExampleDesign });
    expect((await mine.call(`/visual-builder/designs/${stored.id}`)).status).toBe(404);
    expect((await mine.call(`/visual-builder/designs/${stored.id}/convert-to-template`, "POST", { subject_template: "x" })).status).toBe(
      404,
    );
    await theirs.call("/visual-builder/blocks", "POST", promo);
    const usesTheirBlock = await mine.call("/visual-builder/render", "POST", {
      design: { ...specExampleDesign, blocks: [{ type: "custom", props: { slug: "promo-banner" } }] },
    });
    expect(usesTheirBlock.status).toBe(422);
  });
});

/** `depth` blocks, each the only child of the one before: containers, with a text block at the bottom. */
const nestedBlock = (depth: number): Record<string, unknown> => {
  let block: Record<string, unknown> = { type: "text", props: { text: `at depth ${depth}` } };
  for (let i = 1; i < depth; i++) block = { type: "container", props: {}, children: [block] };
  return block;
};
const nestedDesign = (depth: number) => ({ ...specExampleDesign, blocks: [nestedBlock(depth)] });
/** The path of the children list that one block too many sits in. */
const tooDeepPath = (prefix: string) => `${prefix}.${Array(DESIGN_LIMITS.maxDepth).fill("0.children").join(".")}`;

describe("design and block tree limits", () => {
  const deepest = DESIGN_LIMITS.maxDepth;

  it("renders, saves and converts the deepest design allowed", async () => {
    const { call } = await setup();
    const rendered = await call("/visual-builder/render", "POST", { design: nestedDesign(deepest) });
    expect(rendered.status, rendered.text).toBe(200);
    expect(rendered.json.html).toContain(`at depth ${deepest}`);

    const saved = await call("/visual-builder/designs", "POST", { name: "Deep", design: nestedDesign(deepest) });
    expect(saved.status, saved.text).toBe(201);
    const converted = await call(`/visual-builder/designs/${saved.json.id}/convert-to-template`, "POST", { subject_template: "Deep" });
    expect(converted.status, converted.text).toBe(201);
    const preview = await call(`/email-marketing/templates/${converted.json.id}/preview`, "POST", {});
    expect(preview.json.html).toContain(`at depth ${deepest}`);

    expect((await call("/visual-builder/blocks", "POST", { name: "Deep", definition: nestedBlock(deepest) })).status).toBe(201);
  });

  it("refuses one level more with 422 and the path of the list that is too deep, on every route that takes a tree", async () => {
    const { call } = await setup();
    const tooDeep = nestedDesign(deepest + 1);
    const { json: design } = await call("/visual-builder/designs", "POST", { name: "Fine", design: specExampleDesign });
    const { json: template } = await call("/email-marketing/templates", "POST", {
      name: "Fine",
      template_type: "visual",
      subject_template: "Hi",
      visual_definition: specExampleDesign,
    });
    const cases: [string, string, unknown, string][] = [
      ["/visual-builder/render", "POST", { design: tooDeep }, tooDeepPath("design.blocks")],
      ["/visual-builder/designs", "POST", { name: "Deep", design: tooDeep }, tooDeepPath("design.blocks")],
      [`/visual-builder/designs/${design.id}`, "PATCH", { design: tooDeep }, tooDeepPath("design.blocks")],
      [
        "/visual-builder/blocks",
        "POST",
        { name: "Deep", definition: nestedBlock(deepest + 1) },
        tooDeepPath("definition").replace("definition.0.", "definition."),
      ],
      [
        "/email-marketing/templates",
        "POST",
        { name: "Deep", template_type: "visual", subject_template: "Hi", visual_definition: tooDeep },
        tooDeepPath("visual_definition.blocks"),
      ],
      [`/email-marketing/templates/${template.id}`, "PATCH", { visual_definition: tooDeep }, tooDeepPath("visual_definition.blocks")],
    ];
    for (const [path, method, body, errorPath] of cases) {
      const res = await call(path, method, body);
      expect(res.status, `${method} ${path}`).toBe(422);
      expect(
        res.json.errors.map((e: { path: string }) => e.path),
        `${method} ${path}`,
      ).toContain(errorPath);
    }
    expect((await call(`/visual-builder/designs/${design.id}`)).json.design).toEqual(specExampleDesign);
    expect((await call(`/email-marketing/templates/${template.id}`)).json.version).toBe(1);
  });

  it("answers trees 1,000 and 10,000 deep with 422 on every route that takes one", async () => {
    const { call, key, workspace } = await setup();
    const { json: design } = await call("/visual-builder/designs", "POST", { name: "Fine", design: specExampleDesign });
    const { json: template } = await call("/email-marketing/templates", "POST", {
      name: "Fine",
      template_type: "visual",
      subject_template: "Hi",
      visual_definition: specExampleDesign,
    });
    // Written out by hand: JSON.stringify itself overflows the stack on trees this deep.
    const blockJson = (depth: number) =>
      `${'{"type":"container","props":{},"children":['.repeat(depth - 1)}{"type":"text","props":{"text":"x"}}${"]}".repeat(depth - 1)}`;
    const designJson = (depth: number) =>
      `{"version":1,"settings":${JSON.stringify(specExampleDesign.settings)},"blocks":[${blockJson(depth)}]}`;
    for (const depth of [1_000, 10_000]) {
      const cases: [string, string, string][] = [
        ["/visual-builder/render", "POST", `{"design":${designJson(depth)}}`],
        ["/visual-builder/designs", "POST", `{"name":"Deep","design":${designJson(depth)}}`],
        [`/visual-builder/designs/${design.id}`, "PATCH", `{"design":${designJson(depth)}}`],
        ["/visual-builder/blocks", "POST", `{"name":"Deep","definition":${blockJson(depth)}}`],
        [
          "/email-marketing/templates",
          "POST",
          `{"name":"Deep","template_type":"visual","subject_template":"Hi","visual_definition":${designJson(depth)}}`,
        ],
        [`/email-marketing/templates/${template.id}`, "PATCH", `{"visual_definition":${designJson(depth)}}`],
      ];
      for (const [path, method, rawBody] of cases) {
        const res = await api(`/workspaces/${workspace.id}${path}`, { method, token: key, rawBody });
        expect(res.status, `${method} ${path} ${depth} deep`).toBe(422);
        // The JSON-body gate (64 levels) answers before the design's own limit can; one level past that is tested above.
        expect(res.json.errors[0].message, `${method} ${path} ${depth} deep`).toMatch(/deep/);
      }
    }
  });

  it("refuses more blocks than a tree may hold", async () => {
    const { call } = await setup();
    const wide = (n: number) => Array.from({ length: n }, () => ({ type: "spacer", props: { height: 1 } }));
    const containers = Array.from({ length: 20 }, () => ({ type: "container", props: {}, children: wide(99) }));
    const res = await call("/visual-builder/render", "POST", { design: { ...specExampleDesign, blocks: containers } });
    expect(res.status).toBe(422);
    expect(res.json.errors[0].message).toContain(`at most ${DESIGN_LIMITS.maxBlocks} blocks`);
  });
});
