import { describe, expect, it } from "vitest";
import { MAX_LIQUID_NESTING } from "../../src/domain/templates/liquid";
import { api, createWorkspace } from "../factories/api";
import { everyBlockDesign, specExampleDesign } from "../fixtures/designs";

async function setup(postal_address: string | null = "Acme Inc.\n1 Main St\nSpringfield") {
  const { workspace, key } = await createWorkspace(postal_address ? { postal_address } : {});
  const base = `/workspaces/${workspace.id}/email-marketing/templates`;
  const call = (path: string, method = "GET", body?: unknown) => api(`${base}${path}`, { method, token: key, body });
  return { workspace, key, base, call };
}

const codeTemplate = (overrides: Record<string, unknown> = {}) => ({
  name: "Welcome",
  category: "onboarding",
  subject_template: "Welcome, {{ recipient_name }}!",
  body_html: "<h1>Welcome, {{ recipient_name }}!</h1><p>{{ postal_address }}</p>",
  ...overrides,
});

describe("template CRUD", () => {
  it("creates, reads, lists, updates and deletes a template", async () => {
    const { call } = await setup();
    const created = await call(
      "",
      "POST",
      codeTemplate({ variables: [{ name: "plan", type: "string", required: false, default: "Free" }] }),
    );
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      name: "Welcome",
      slug: "welcome",
      category: "onboarding",
      template_type: "code",
      version: 1,
      is_active: true,
      body_text: null,
      visual_definition: null,
      variables: [{ name: "plan", type: "string", required: false, default: "Free" }],
    });
    expect(created.json.id).toMatch(/^tpl_/);

    expect((await call(`/${created.json.id}`)).json).toEqual(created.json);
    const list = await call("?category=onboarding");
    expect(list.json.data.map((t: { id: string }) => t.id)).toEqual([created.json.id]);
    expect((await call("?category=marketing")).json.data).toEqual([]);

    const renamed = await call(`/${created.json.id}`, "PATCH", { name: "Welcome aboard", is_active: false });
    expect(renamed.status).toBe(200);
    expect(renamed.json).toMatchObject({ name: "Welcome aboard", is_active: false, version: 1 });

    expect((await call(`/${created.json.id}`, "DELETE")).status).toBe(204);
    expect((await call(`/${created.json.id}`)).status).toBe(404);
  });

  it("answers 422 with the path of every invalid field, and stores nothing", async () => {
    const { call } = await setup();
    const res = await call("", "POST", {
      name: "",
      category: "spam",
      subject_template: "",
      body_html: "<p>x</p>",
      variables: [{ name: "1bad" }, { name: "ok" }, { name: "ok" }],
    });
    expect(res.status).toBe(422);
    const paths = res.json.errors.map((e: { path: string }) => e.path).sort();
    expect(paths).toEqual(["category", "name", "subject_template", "variables", "variables.0.name"]);
    expect((await call("")).json.data).toEqual([]);
  });

  it("requires body_html for code templates and a design for visual ones", async () => {
    const { call } = await setup();
    const code = await call("", "POST", codeTemplate({ body_html: undefined }));
    expect(code.status).toBe(422);
    expect(code.json.errors).toEqual([expect.objectContaining({ path: "body_html" })]);
    const visual = await call("", "POST", codeTemplate({ template_type: "visual" }));
    expect(visual.status).toBe(422);
    expect(visual.json.errors.map((e: { path: string }) => e.path).sort()).toEqual(["body_html", "visual_definition"]);
  });

  it("keeps slugs unique per workspace", async () => {
    const { call } = await setup();
    expect((await call("", "POST", codeTemplate())).json.slug).toBe("welcome");
    expect((await call("", "POST", codeTemplate())).json.slug).toBe("welcome-2");
    const taken = await call("", "POST", codeTemplate({ slug: "welcome" }));
    expect(taken.status).toBe(409);

    const other = await setup();
    expect((await other.call("", "POST", codeTemplate({ slug: "welcome" }))).status).toBe(201);
  });

  it("refuses Liquid that does not parse with the field, line and column", async () => {
    const { call } = await setup();
    const res = await call("", "POST", codeTemplate({ body_html: "<p>ok</p>\n<p>{% if has_trial %}trial</p>" }));
    expect(res.status).toBe(422);
    expect(res.json.errors).toEqual([expect.objectContaining({ location: "body", path: "body_html", line: 2, column: 4 })]);
    expect(res.json.detail).toMatch(/line 2, column 4/);
    expect((await call("")).json.data).toEqual([]);
  });

  it("answers every /templates/{template_id} path for the template's slug as for its id", async () => {
    const { call } = await setup();
    const { json: tpl } = await call("", "POST", codeTemplate({ slug: "welcome" }));
    expect((await call("/welcome")).json).toEqual(tpl);
    const patched = await call("/welcome", "PATCH", { subject_template: "Hello {{ recipient_name }}" });
    expect(patched.status).toBe(200);
    expect(patched.json).toMatchObject({ id: tpl.id, version: 2 });
    expect((await call("/welcome/versions")).json.data.map((v: { version: number }) => v.version)).toEqual([2, 1]);
    expect((await call("/welcome/versions/1")).json).toMatchObject({ template_id: tpl.id, version: 1 });
    const preview = await call("/welcome/preview", "POST", { context: { recipient_name: "Ada" } });
    expect(preview.json.subject).toBe("Hello Ada");
    expect((await call("/welcome", "DELETE")).status).toBe(204);
    expect((await call(`/${tpl.id}`)).status).toBe(404);
    expect((await call("/welcome")).status).toBe(404);
  });

  it("refuses tags that load other templates at save with 422 naming the tag and its line, and changes nothing", async () => {
    const { call } = await setup();
    const cases: [Record<string, unknown>, string, string, number][] = [
      [{ body_html: "<p>Hi</p>\n{% render 'footer' %}" }, "body_html", "render", 2],
      [{ body_html: "<p>Hi</p>\n\n{% include 'footer' %}" }, "body_html", "include", 3],
      [{ body_html: "{% layout 'base' %}<p>Hi</p>" }, "body_html", "layout", 1],
      [{ body_html: "<p>Hi</p>\n{% liquid\n  assign x = 1\n  render 'footer'\n%}" }, "body_html", "render", 4],
      [{ body_text: "Hi\n{% include footer_name %}" }, "body_text", "include", 2],
      [{ subject_template: "{% render 'subject' %}" }, "subject_template", "render", 1],
    ];
    for (const [fields, path, tag, line] of cases) {
      const res = await call("", "POST", codeTemplate(fields));
      expect(res.status, JSON.stringify(fields)).toBe(422);
      expect(res.json.errors[0], JSON.stringify(fields)).toMatchObject({ path, line });
      expect(res.json.detail).toContain(`{% ${tag} %}`);
    }
    expect((await call("")).json.data).toEqual([]);

    const { json: tpl } = await call("", "POST", codeTemplate());
    const patched = await call(`/${tpl.id}`, "PATCH", { body_html: "<p>Hi</p>\n{% render 'footer' %}" });
    expect(patched.status).toBe(422);
    expect(patched.json.errors[0]).toMatchObject({ path: "body_html", line: 2 });
    expect((await call(`/${tpl.id}`)).json).toEqual(tpl);
  });

  it("is invisible to other workspaces", async () => {
    const mine = await setup();
    const theirs = await setup();
    const tpl = await theirs.call("", "POST", codeTemplate());
    const paths = [`/${tpl.json.id}`, `/${tpl.json.slug}`].flatMap((p) => [
      [p, "GET"],
      [p, "PATCH"],
      [p, "DELETE"],
      [`${p}/versions`, "GET"],
      [`${p}/versions/1`, "GET"],
    ]);
    for (const [path, method] of paths) {
      const res = await mine.call(path, method, method === "PATCH" ? { name: "stolen" } : undefined);
      expect(res.status, `${method} ${path}`).toBe(404);
    }
    expect((await theirs.call(`/${tpl.json.id}`)).json.name).toBe("Welcome");
  });
});

describe("template versions", () => {
  it("bumps the version on a change of content and keeps earlier versions readable", async () => {
    const { call } = await setup();
    const { json: v1 } = await call("", "POST", codeTemplate());
    const v2 = await call(`/${v1.id}`, "PATCH", { subject_template: "Hello {{ recipient_name }}" });
    expect(v2.json.version).toBe(2);
    const same = await call(`/${v1.id}`, "PATCH", { subject_template: "Hello {{ recipient_name }}", category: "marketing" });
    expect(same.json.version).toBe(2);
    const v3 = await call(`/${v1.id}`, "PATCH", { variables: [{ name: "plan" }] });
    expect(v3.json.version).toBe(3);

    const versions = await call(`/${v1.id}/versions?limit=2`);
    expect(versions.json.data.map((v: { version: number }) => v.version)).toEqual([3, 2]);
    const older = await call(`/${v1.id}/versions?limit=2&cursor=${versions.json.next_cursor}`);
    expect(older.json.data.map((v: { version: number }) => v.version)).toEqual([1]);
    expect(older.json.next_cursor).toBeNull();
    const tampered = await call(`/${v1.id}/versions?cursor=${btoa("latest")}`);
    expect(tampered.status).toBe(422);
    expect(tampered.json.errors).toMatchObject([{ location: "query", path: "cursor" }]);

    const first = await call(`/${v1.id}/versions/1`);
    expect(first.json).toMatchObject({ version: 1, subject_template: "Welcome, {{ recipient_name }}!" });
    expect((await call(`/${v1.id}/versions/9`)).status).toBe(404);
    expect((await call(`/${v1.id}/versions/zero`)).status).toBe(422);
  });
});

describe("visual templates", () => {
  it("compiles body_html from the design and recompiles when the design changes", async () => {
    const { call } = await setup();
    const res = await call("", "POST", {
      name: "Spec example",
      template_type: "visual",
      subject_template: "Hi",
      visual_definition: specExampleDesign,
    });
    expect(res.status).toBe(201);
    expect(res.json.visual_definition).toEqual(specExampleDesign);
    expect(res.json.body_html).toContain("Welcome!");

    const changed = await call(`/${res.json.id}`, "PATCH", { visual_definition: everyBlockDesign });
    expect(changed.json.version).toBe(2);
    expect(changed.json.body_html).toContain("Upgrade now");
  });

  it("refuses a direct body_html edit unless the same request switches the template to code", async () => {
    const { call } = await setup();
    const { json: tpl } = await call("", "POST", {
      name: "V",
      template_type: "visual",
      subject_template: "Hi",
      visual_definition: specExampleDesign,
    });
    const refused = await call(`/${tpl.id}`, "PATCH", { body_html: "<p>hand edit</p>" });
    expect(refused.status).toBe(409);
    expect(refused.json.type).toBe("urn:flarecast:problem:conflict");
    expect((await call(`/${tpl.id}`)).json.version).toBe(1);

    const switched = await call(`/${tpl.id}`, "PATCH", { body_html: "<p>hand edit</p>", template_type: "code" });
    expect(switched.status).toBe(200);
    expect(switched.json).toMatchObject({ template_type: "code", body_html: "<p>hand edit</p>", version: 2 });
  });

  it("switching a template to visual without a visual_definition is a 422 naming the field", async () => {
    const { call } = await setup();
    const created = await call("", "POST", { name: "Code", slug: "code", subject_template: "Hi", body_html: "<p>Hi</p>" });
    expect(created.status).toBe(201);
    const res = await call("/code", "PATCH", { template_type: "visual" });
    expect(res.status).toBe(422);
    expect(res.json.errors[0]).toMatchObject({ location: "body", path: "visual_definition" });
    expect((await call("/code")).json).toMatchObject({ template_type: "code", version: 1 });
  });

  it("rejects an invalid design with the path inside it", async () => {
    const { call } = await setup();
    const design = {
      ...specExampleDesign,
      blocks: [{ type: "button", props: { text: "Go", href: "https://x.y", backgroundColor: "red" } }],
    };
    const res = await call("", "POST", { name: "V", template_type: "visual", subject_template: "Hi", visual_definition: design });
    expect(res.status).toBe(422);
    expect(res.json.errors.map((e: { path: string }) => e.path)).toContain("visual_definition.blocks.0.props.backgroundColor");
  });
});

describe("POST /templates/{id}/preview", () => {
  const preview = async (call: Awaited<ReturnType<typeof setup>>["call"], template: Record<string, unknown>, context = {}) => {
    const created = await call("", "POST", codeTemplate(template));
    expect(created.status, created.text).toBe(201);
    return call(`/${created.json.id}/preview`, "POST", { context });
  };

  it("renders the spec's three Liquid examples exactly", async () => {
    const { call } = await setup();
    const welcome = await preview(call, { body_html: "<h1>Welcome, {{ recipient_name }}!</h1>" }, { recipient_name: "Ada" });
    expect(welcome.json.html).toBe("<h1>Welcome, Ada!</h1>");

    const body = "{% if has_trial %}\n  <p>Your trial ends on {{ trial_end_date }}</p>\n{% endif %}";
    const trial = await preview(call, { body_html: body }, { has_trial: true, trial_end_date: "March 1" });
    expect(trial.json.html).toBe("\n  <p>Your trial ends on March 1</p>\n");
    const noTrial = await preview(call, { body_html: body }, { has_trial: false, trial_end_date: "March 1" });
    expect(noTrial.json.html).toBe("");

    const loop = await preview(
      call,
      { body_html: "{% for feature in features %}\n  <li>{{ feature.name }}: {{ feature.description }}</li>\n{% endfor %}" },
      {
        features: [
          { name: "Routing", description: "smart" },
          { name: "Warming", description: "gradual" },
        ],
      },
    );
    expect(loop.json.html).toBe("\n  <li>Routing: smart</li>\n\n  <li>Warming: gradual</li>\n");
  });

  it("escapes outputs in HTML but not in the subject or the text body", async () => {
    const { call } = await setup();
    const res = await preview(
      call,
      { subject_template: "Hi {{ name }}", body_html: "<p>{{ name }}</p><p>{{ trusted | raw }}</p>", body_text: "Hi {{ name }}" },
      { name: `<script>alert("x")</script> & co`, trusted: "<b>bold</b>" },
    );
    expect(res.json.html).toBe("<p>&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; co</p><p><b>bold</b></p>");
    expect(res.json.subject).toBe(`Hi <script>alert("x")</script> & co`);
    expect(res.json.text).toBe(`Hi <script>alert("x")</script> & co`);
  });

  it("generates the text body from the HTML when none is given", async () => {
    const { call } = await setup();
    const res = await preview(call, {
      body_html: '<h1>Hello</h1><p>Read <a href="https://example.com/x">the docs</a>.</p>',
      preview_text: "Inbox line",
    });
    expect(res.json.text).toContain("HELLO");
    expect(res.json.text).toContain("the docs [https://example.com/x]");
    expect(res.json.text).not.toContain("Inbox line");
    expect(res.json.html).toMatch(/^<div style="display:none;[^"]*">Inbox line<\/div><h1>/);
  });

  it("puts the rendered preview text as a hidden preheader right after <body>, escaped", async () => {
    const { call } = await setup();
    const res = await preview(
      call,
      { body_html: '<html><body style="margin:0"><p>{{ name }}</p></body></html>', preview_text: "News for {{ name }} & friends" },
      { name: "<Ada>" },
    );
    expect(res.json.preview_text).toBe("News for <Ada> & friends");
    expect(res.json.html).toMatch(
      /^<html><body style="margin:0"><div style="display:none;[^"]*">News for &lt;Ada&gt; &amp; friends<\/div><p>&lt;Ada&gt;<\/p><\/body><\/html>$/,
    );
    const without = await preview(call, { body_html: "<body><p>x</p></body>" });
    expect(without.json.html).toBe("<body><p>x</p></body>");
  });

  it("fills declared defaults and reports missing required variables", async () => {
    const { call } = await setup();
    const res = await preview(call, {
      body_html: "<p>{{ plan }} {{ seats }}</p>",
      variables: [
        { name: "plan", default: "Free" },
        { name: "seats", type: "number", required: true },
      ],
    });
    expect(res.json.html).toBe("<p>Free </p>");
    expect(res.json.missing_variables).toEqual(["seats"]);
    expect(res.json.warnings).toContainEqual(expect.objectContaining({ code: "missing_required_variable" }));
  });

  it("shows a declared default over the platform's sample value, and the caller's context over both", async () => {
    const { call } = await setup();
    const template = { body_html: "<p>{{ recipient_name }}</p>", variables: [{ name: "recipient_name", default: "friend" }] };
    expect((await preview(call, template)).json.html).toBe("<p>friend</p>");
    expect((await preview(call, template, { recipient_name: "Ada" })).json.html).toBe("<p>Ada</p>");
    expect((await preview(call, { body_html: "<p>{{ recipient_name }}</p>" })).json.html).toBe("<p>Alex Example</p>");
  });

  it("stops a hostile template with a 422, and keeps serving", async () => {
    const { call } = await setup();
    const loop = await preview(call, { body_html: "{% for i in (1..100000000) %}{{ i }}{% endfor %}" });
    expect(loop.status).toBe(422);
    expect(loop.json.errors[0]).toMatchObject({ path: "body_html" });

    const blowup = await preview(call, {
      body_html:
        '{% assign s = "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" %}{% for i in (1..20) %}{% assign s = s | append: s %}{% endfor %}{{ s }}',
    });
    expect(blowup.status).toBe(422);

    const nested = await preview(call, { body_html: "{% for a in (1..1000) %}{% for b in (1..1000) %}.{% endfor %}{% endfor %}" });
    expect(nested.status).toBe(422);

    expect((await preview(call, { body_html: "<p>still fine</p>" })).status).toBe(200);
  });

  it("refuses Liquid nested past the limit with 422 at save, naming the line and column", async () => {
    const { call } = await setup();
    const nested = (tag: string, end: string, depth: number) => `${`${tag}\n`.repeat(depth)}x${end.repeat(depth)}`;
    for (const depth of [MAX_LIQUID_NESTING + 1, 1_000, 10_000]) {
      for (const [tag, end] of [
        ["{% if a %}", "{% endif %}"],
        ["{% for i in (1..2) %}", "{% endfor %}"],
        ["{% capture c %}", "{% endcapture %}"],
      ]) {
        const res = await call("", "POST", codeTemplate({ body_html: nested(tag, end, depth) }));
        expect(res.status, `${tag} ${depth} deep`).toBe(422);
        expect(res.json.errors[0], `${tag} ${depth} deep`).toMatchObject({ path: "body_html", line: MAX_LIQUID_NESTING + 1, column: 1 });
      }
    }
    const liquidTag = `<p>\n{% liquid\n${"if a\n".repeat(10_000)}echo "x"\n${"endif\n".repeat(10_000)}%}`;
    const inLiquidTag = await call("", "POST", codeTemplate({ body_html: liquidTag }));
    expect(inLiquidTag.status).toBe(422);
    // The {% liquid %} tag on line 2 is the first level, so the 100th `if` (on line 102) is one too many.
    expect(inLiquidTag.json.errors[0]).toMatchObject({ path: "body_html", line: 2 + MAX_LIQUID_NESTING });
    const deepest = await preview(call, { body_html: nested("{% if a %}", "{% endif %}", MAX_LIQUID_NESTING) }, { a: true });
    expect(deepest.status).toBe(200);
    expect(deepest.json.html.trim()).toBe("x");
    expect((await call("")).json.data).toHaveLength(1);
  });

  it("refuses a body over the field's limit with 422", async () => {
    const { call } = await setup();
    // Over body_html's 512 KiB, under the 4 MiB every JSON body may have (beyond that the answer is 413).
    const res = await call("", "POST", codeTemplate({ body_html: `<p>${"x".repeat(600 * 1024)}</p>` }));
    expect(res.status).toBe(422);
    expect(res.json.errors[0].path).toBe("body_html");
  });

  it("warns about each thing a sender should fix", async () => {
    const { call } = await setup(null);
    const codes = async (template: Record<string, unknown>) =>
      ((await preview(call, template)).json.warnings as { code: string }[]).map((w) => w.code);

    expect(await codes({ category: "marketing", body_html: "<p>{{ postal_address }}</p>" })).toContain("missing_unsubscribe_link");
    expect(await codes({ category: "transactional", body_html: "<p>receipt</p>" })).not.toContain("missing_unsubscribe_link");
    expect(await codes({ category: "newsletter", body_html: '<a href="{{ unsubscribe_url }}">Unsubscribe</a>' })).not.toContain(
      "missing_unsubscribe_link",
    );
    expect(await codes({ body_html: "<p>no address</p>" })).toContain("missing_postal_address");
    expect(await codes({ body_html: '<img src="https://x.y/a.png">' })).toContain("image_without_alt");
    expect(await codes({ body_html: '<img src="https://x.y/a.png" alt="">' })).not.toContain("image_without_alt");
    expect(await codes({ body_html: `<p>${"x".repeat(103 * 1024)}</p>` })).toContain("html_too_large");
    expect(await codes({ body_html: "<p>{{ coupon_code }}</p>" })).toContain("undeclared_variable");
    expect(await codes({ body_html: "<p>{{ coupon_code }}</p>", variables: [{ name: "coupon_code" }] })).not.toContain(
      "undeclared_variable",
    );
    expect(await codes({ body_html: '<a href="javascript:alert(1)">x</a>' })).toContain("non_http_link");
    expect(await codes({ body_html: '<a href="mailto:a@b.c">x</a><a href="https://x.y">y</a>' })).not.toContain("non_http_link");
  });

  it("finds the workspace's postal address in the footer", async () => {
    const { call } = await setup("Acme Inc.\n1 Main St");
    const res = await preview(call, { body_html: "<footer>Acme Inc., 1 Main St</footer>" });
    expect(res.json.warnings.map((w: { code: string }) => w.code)).not.toContain("missing_postal_address");
  });
});
