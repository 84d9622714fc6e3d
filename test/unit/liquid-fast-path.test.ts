import fc from "fast-check";
import { Liquid } from "liquidjs";
import { describe, expect, it } from "vitest";
import { designToTemplate } from "../../src/domain/builder/compile";
import { stripBuilderMarkers } from "../../src/domain/builder/markers";
import { parseLiquid, renderLiquid } from "../../src/domain/templates/liquid";
import { designArbitrary } from "../fixtures/design-arbitrary";
import { everyBlockContext, everyBlockDesign } from "../fixtures/designs";

/** Plain liquidjs, configured as Flarecast's engines are, but without the fast evaluators and renderer. */
const reference = {
  html: new Liquid({ outputEscape: "escape", ownPropertyOnly: true }),
  text: new Liquid({ ownPropertyOnly: true }),
};
const expected = (source: string, flavour: "html" | "text", context: Record<string, unknown>) =>
  reference[flavour].parseAndRenderSync(source, context);

const contexts = fc.record({
  recipient_name: fc.oneof(fc.string(), fc.constant(undefined), fc.constant("<b>&\"'")),
  name: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
  vip: fc.boolean(),
  has_trial: fc.boolean(),
  plan: fc.constantFrom("pro", "free", ""),
  count: fc.integer({ min: -5, max: 5 }),
  url: fc.constantFrom("https://example.com/a?b=1&c=2", "javascript:x"),
  id: fc.integer(),
  a: fc.record({ b: fc.oneof(fc.string(), fc.integer()) }),
  features: fc.array(fc.record({ name: fc.string(), description: fc.string() }), { maxLength: 4 }),
  user: fc.record({ vip: fc.boolean(), active: fc.boolean() }),
  items: fc.array(fc.oneof(fc.string(), fc.integer()), { maxLength: 5 }),
});

const templates = [
  "{{ name }}|{{ name | upcase }}|{{ name | default: 'x' }}|{{ recipient_name | truncate: 5 }}",
  "{% if vip and has_trial %}A{% elsif plan == 'pro' %}B{% else %}C{% endif %}{% unless vip %}U{% endunless %}",
  "{% if count > 2 or count <= -3 %}big{% endif %}{% if plan contains 'r' %}r{% endif %}{% if not vip %}n{% endif %}",
  "{% for f in features limit: 2 %}{{ forloop.index }}/{{ forloop.length }} {{ f.name | escape }}: {{ f.description }}{% unless forloop.last %}, {% endunless %}{% else %}none{% endfor %}",
  "{% for i in items reversed %}{% if forloop.first %}[{% endif %}{{ i }}{% if i == 3 %}{% break %}{% endif %}{% endfor %}",
  "{{ items | join: ',' }} {{ items.size }} {{ items.first }} {{ features.size }} {{ a.b | plus: 1 }}",
  "{% assign n = name | append: '!' %}{{ n }}{% capture c %}{{ plan }}-{{ id }}{% endcapture %}{{ c | upcase }}",
  "{{ a['b'] }}{{ features[0].name }}{{ 'lit' | upcase }}{{ 3 | times: 2 }}{{ url | url_encode }}",
  "{% for i in (1..count) %}{{ i }}{% endfor %}{{ url }}{{ url | raw }}",
  "{% for f in features %}{{ forloop.index0 }}{{ forloop.rindex }}{{ forloop.rindex0 }}{{ forloop.length }}{% for i in items %}{{ forloop.index }}{{ f.name }}{{ i }}{% if i == 2 %}{% continue %}{% endif %}.{% endfor %}{% else %}empty{% endfor %}",
  "{% for f in features %}{{ forloop }}{% if forloop.index == 2 %}{% break %}{% endif %}{% endfor %}{% for f in features offset: continue %}{{ f.name }}{% endfor %}",
  "{% for k in a %}{{ k }}{% endfor %}{% for c in plan %}{{ c }}{% else %}-{% endfor %}{% for n in name %}{{ n }}{% endfor %}{% for x in missing %}{{ x }}{% else %}none{% endfor %}",
];

describe("the accelerated Liquid renderer", () => {
  it.each(templates)("renders %s exactly as liquidjs does", (source) => {
    fc.assert(
      fc.property(contexts, (context) => {
        for (const flavour of ["html", "text"] as const) {
          expect(renderLiquid(parseLiquid(source, flavour), flavour, context)).toBe(expected(source, flavour, context));
        }
      }),
      { numRuns: 150 },
    );
  });

  it("renders compiled designs exactly as liquidjs does (200 generated designs)", () => {
    fc.assert(
      fc.property(designArbitrary, contexts, (design, context) => {
        const source = stripBuilderMarkers(designToTemplate(design));
        expect(renderLiquid(parseLiquid(source, "html"), "html", context)).toBe(expected(source, "html", context));
      }),
      { numRuns: 200 },
    );
  });

  it("renders the every-block design exactly as liquidjs does", () => {
    const source = stripBuilderMarkers(designToTemplate(everyBlockDesign));
    expect(renderLiquid(parseLiquid(source, "html"), "html", everyBlockContext)).toBe(expected(source, "html", everyBlockContext));
  });
});
