// The benchmark cases and the batch timer, shared by the workerd Worker (render.worker.ts) and the Node run
// (node.ts). Only the clock differs between the two: see `Clock`.
import { Liquid } from "liquidjs";
import { designToTemplate } from "../src/domain/builder/compile";
import { DesignSchema } from "../src/domain/builder/design-schema";
import { stripBuilderMarkers } from "../src/domain/builder/markers";
import { parseLiquid, RENDER_LIMITS, renderLiquid } from "../src/domain/templates/liquid";
import { htmlToPlainText } from "../src/domain/templates/plain-text";
import { generatedTextSource, renderTemplate, variablesUsedBy } from "../src/domain/templates/render";
import { resolveContext } from "../src/domain/templates/variables";
import { countBlocks, thirtyBlockDesign } from "./design";
import { newsletterContent, newsletterContext, OUTPUT_VARIABLES } from "./newsletter";

/**
 * workerd freezes `Date.now()` / `performance.now()` while JavaScript runs and moves them on only when the
 * isolate waits on I/O. `tick` must be such a wait; `now` is read right after it. In Node, `tick` is a no-op
 * macrotask and `now` is the live `performance.now()`.
 */
export interface Clock {
  now(): number;
  tick(): Promise<void>;
}

export interface Stats {
  name: string;
  /** Per-iteration time of the median batch, in µs. */
  median_us: number;
  p90_us: number;
  min_us: number;
  max_us: number;
  mean_us: number;
  batches: number;
  iterations_per_batch: number;
  total_iterations: number;
  /** Median time of one empty batch (just the tick), in µs, subtracted from every batch. */
  tick_overhead_us: number;
  /** Median wall time of one batch, in ms (before the overhead is subtracted). */
  batch_ms: number;
  /** Every batch's per-iteration time, in µs, in the order run. */
  per_batch_us: number[];
}

export interface BenchOptions {
  batches: number;
  /** Batch length to aim for: long against the clock's resolution (1 ms in workerd) and the tick's cost. */
  targetBatchMs: number;
}

/** A sink the optimiser cannot see through, so no benchmarked result is dead code. */
export let sink: unknown;

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * (sorted.length - 1) + 0.5))];
const median = (xs: number[]) =>
  quantile(
    [...xs].sort((a, b) => a - b),
    0.5,
  );

/** Median time of a batch that runs nothing: the tick itself, as the clock sees it. */
export async function tickOverheadMs(clock: Clock, samples = 30): Promise<number> {
  const times: number[] = [];
  for (let s = 0; s < samples; s++) {
    await clock.tick();
    const t0 = clock.now();
    await clock.tick();
    times.push(clock.now() - t0);
  }
  return median(times);
}

async function timeBatch(clock: Clock, fn: (i: number) => unknown, n: number, offset: number): Promise<number> {
  await clock.tick();
  const t0 = clock.now();
  for (let i = 0; i < n; i++) sink = await fn(offset + i);
  await clock.tick();
  return clock.now() - t0;
}

export async function bench(
  name: string,
  fn: (i: number) => unknown,
  clock: Clock,
  { batches, targetBatchMs }: BenchOptions,
  overheadMs: number,
): Promise<Stats> {
  // Warm up (parse caches, JIT), then size the batch: grow n until one batch is long enough to scale from.
  for (let i = 0; i < 50; i++) sink = await fn(i);
  let n = 1;
  for (;;) {
    const elapsed = (await timeBatch(clock, fn, n, 0)) - overheadMs;
    if (elapsed >= targetBatchMs / 4 || n >= 1_000_000) {
      n = Math.max(1, Math.round((n * targetBatchMs) / Math.max(elapsed, 0.001)));
      break;
    }
    n *= 4;
  }
  const batchMs: number[] = [];
  const perIterUs: number[] = [];
  for (let b = 0; b < batches; b++) {
    const ms = await timeBatch(clock, fn, n, b * n);
    batchMs.push(ms);
    perIterUs.push((Math.max(0, ms - overheadMs) * 1000) / n);
  }
  const sorted = [...perIterUs].sort((a, b) => a - b);
  const round = (x: number) => Math.round(x * 100) / 100;
  return {
    name,
    median_us: round(quantile(sorted, 0.5)),
    p90_us: round(quantile(sorted, 0.9)),
    min_us: round(sorted[0]),
    max_us: round(sorted[sorted.length - 1]),
    mean_us: round(sorted.reduce((s, x) => s + x, 0) / sorted.length),
    batches,
    iterations_per_batch: n,
    total_iterations: n * batches,
    tick_overhead_us: round(overheadMs * 1000),
    batch_ms: round(median(batchMs)),
    per_batch_us: perIterUs.map(round),
  };
}

/** A known amount of pure CPU work, to check that a clock and a batch size measure what they should. */
export function busyLoop(iterations: number): number {
  let x = 0x12345678;
  for (let i = 0; i < iterations; i++) x = (Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) + i) | 0;
  return x;
}
export const BUSY_ITERATIONS = 100_000;

const withText = newsletterContent(true);
const withoutText = newsletterContent(false);
const design = DesignSchema.parse(thirtyBlockDesign);
const compileOptions = { previewText: "Everything you asked for, in one release" };

const escapeHtml = (s: string) => s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");

const KEY_TEXT = "bench-newsletter:v1-with-text";
const KEY_NO_TEXT = "bench-newsletter:v1-generated-text";
const parsedFor = (part: "subject_template" | "body_html" | "body_text" | "preview_text") =>
  parseLiquid(
    part === "body_html" ? stripBuilderMarkers(withText.body_html) : (withText[part] ?? ""),
    part === "body_html" ? "html" : "text",
  );
const parsed = {
  subject: parsedFor("subject_template"),
  html: parsedFor("body_html"),
  text: parsedFor("body_text"),
  preview: parsedFor("preview_text"),
  /** What a template without body_text renders per recipient: its text source, generated once per version. */
  generatedText: parseLiquid(generatedTextSource(stripBuilderMarkers(withoutText.body_html)), "text"),
};
const ctx0 = resolveContext(withText.variables, newsletterContext(0)).context;
/** The rendered HTML the later steps work on; set by prepare() (no top-level await in a Worker module). */
let sampleHtml = "";
export async function prepare() {
  sampleHtml ||= (await renderTemplate(withoutText, newsletterContext(0), KEY_NO_TEXT)).html;
}

export type Case = { name: string; label: string; fn: (i: number) => unknown };

/** The headline figures. */
export const mainCases: Case[] = [
  {
    name: "render.cached.body_text-given",
    label: "renderTemplate, cached parse, body_text given (Liquid renders subject, preview, HTML and text)",
    fn: (i) => renderTemplate(withText, newsletterContext(i), KEY_TEXT),
  },
  {
    name: "render.cached.body_text-generated",
    label: "renderTemplate, cached parse, body_text null (text from the HTML source, generated once per version)",
    fn: (i) => renderTemplate(withoutText, newsletterContext(i), KEY_NO_TEXT),
  },
  {
    name: "render.uncached.body_text-given",
    label: "renderTemplate without cacheKey (parses every part every time), body_text given — for contrast",
    fn: (i) => renderTemplate(withText, newsletterContext(i)),
  },
  {
    name: "compile.30-block",
    label: "designToTemplate, 30-block design using every block type",
    fn: () => designToTemplate(design, compileOptions),
  },
  {
    name: "busy-loop",
    label: `reference: ${BUSY_ITERATIONS.toLocaleString("en-US")}-step integer busy loop (pure CPU, checks the clock)`,
    // The loop is written out here rather than calling busyLoop(): in workerd's V8 a small function like
    // busyLoop gets inlined into its Maglev-compiled caller and then runs ~3.5× slower for a long time,
    // which would make this reference measure V8's tiering instead of the clock.
    fn: () => {
      let x = 0x12345678;
      for (let i = 0; i < BUSY_ITERATIONS; i++) x = (Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) + i) | 0;
      return x;
    },
  },
];

/** Where one render's time goes: each step of renderTemplate on its own, with the same inputs. */
export const breakdownCases: Case[] = [
  {
    name: "part.newsletterContext",
    label: "building the recipient's context object (bench harness, not renderTemplate)",
    fn: (i) => newsletterContext(i),
  },
  {
    name: "part.resolveContext",
    label: "resolveContext (declared defaults + required check)",
    fn: (i) => resolveContext(withText.variables, newsletterContext(i)),
  },
  { name: "part.liquid.subject", label: "Liquid render: subject", fn: () => renderLiquid(parsed.subject, "text", ctx0) },
  { name: "part.liquid.preview", label: "Liquid render: preview text", fn: () => renderLiquid(parsed.preview, "text", ctx0) },
  {
    name: "part.liquid.body_html",
    label: "Liquid render: body_html (HTML engine, escaped outputs)",
    fn: () => renderLiquid(parsed.html, "html", ctx0),
  },
  { name: "part.liquid.body_text", label: "Liquid render: body_text", fn: () => renderLiquid(parsed.text, "text", ctx0) },
  {
    name: "part.liquid.generated_text",
    label: "Liquid render: the generated text source (templates without body_text)",
    fn: () => renderLiquid(parsed.generatedText, "text", ctx0),
  },
];

/** An engine set up like the HTML engine of src/domain/templates/liquid.ts (which does not export it). */
const syncEngine = new Liquid({
  parseLimit: RENDER_LIMITS.parseLimit,
  memoryLimit: RENDER_LIMITS.memoryLimit,
  ownPropertyOnly: true,
  outputEscape: "escape",
});
const syncParsed = syncEngine.parse(stripBuilderMarkers(withText.body_html));

/** Not steps of renderTemplate: alternatives, to tell what a step's cost is made of. */
export const diagnosticCases: Case[] = [
  {
    name: "diag.liquid.body_html.renderSync",
    label: "diagnostic: the same body_html rendered by stock liquidjs renderSync, without Flarecast's fast path",
    fn: () => syncEngine.renderSync(syncParsed, ctx0),
  },
  {
    name: "diag.liquid.body_html.renderAsync",
    label: "diagnostic: the same body_html rendered by stock liquidjs async render (how Flarecast first rendered)",
    fn: () => syncEngine.render(syncParsed, ctx0),
  },
  {
    name: "diag.htmlToPlainText",
    label: "diagnostic: html-to-text on the rendered HTML (what text generation cost per recipient before)",
    fn: () => htmlToPlainText(sampleHtml),
  },
  {
    name: "diag.await-100",
    label: "diagnostic: 100 sequential `await`s of already-resolved promises (the runtime's cost per await)",
    fn: async () => {
      let x = 0;
      for (let i = 0; i < 100; i++) x += await Promise.resolve(i);
      return x;
    },
  },
];

export const allCases = [...mainCases, ...breakdownCases, ...diagnosticCases];

/** Facts about the inputs, checked by the runner, so a figure is never for the wrong template. */
export async function inputsReport() {
  const rendered = await renderTemplate(withText, newsletterContext(7), KEY_TEXT);
  const generated = await renderTemplate(withoutText, newsletterContext(7), KEY_NO_TEXT);
  const context = newsletterContext(7) as { articles: { title: string }[] };
  const used = variablesUsedBy(withText);
  const compiled = designToTemplate(design, compileOptions);
  return {
    body_html_bytes: new TextEncoder().encode(withText.body_html).length,
    body_text_bytes: new TextEncoder().encode(withText.body_text ?? "").length,
    variables_used: used.length,
    output_variables_all_used: OUTPUT_VARIABLES.every((v) => used.includes(v)),
    loop_items_rendered: context.articles.filter((a) => rendered.html.includes(escapeHtml(a.title).replaceAll("'", "&#39;"))).length,
    loop_items_in_generated_text: context.articles.filter(
      (a) => generated.text.includes(a.title.toUpperCase()) || generated.text.includes(a.title),
    ).length,
    liquid_left_in_output: /\{\{|\{%/.test(rendered.html + rendered.text + generated.text),
    missing_variables: rendered.missing_variables,
    rendered_html_bytes: new TextEncoder().encode(rendered.html).length,
    rendered_text_bytes: new TextEncoder().encode(rendered.text).length,
    generated_text_bytes: new TextEncoder().encode(generated.text).length,
    subject: rendered.subject,
    design_blocks_total: countBlocks(design.blocks),
    design_blocks_top_level: design.blocks.length,
    compiled_html_bytes: new TextEncoder().encode(compiled).length,
  };
}

export async function runAll(clock: Clock, options: BenchOptions, cases: Case[] = allCases) {
  await prepare();
  const overheadMs = await tickOverheadMs(clock);
  const results: (Stats & { label: string })[] = [];
  for (const c of cases) results.push({ ...(await bench(c.name, c.fn, clock, options, overheadMs)), label: c.label });
  return { tick_overhead_ms: overheadMs, options, inputs: await inputsReport(), results };
}

/** Runs one case n times back to back with no clock reads at all: for timing a whole request from outside. */
export async function repeat(name: string, n: number): Promise<number> {
  await prepare();
  const c = allCases.find((x) => x.name === name);
  if (!c) throw new Error(`no such case: ${name}`);
  for (let i = 0; i < n; i++) sink = await c.fn(i);
  return n;
}
