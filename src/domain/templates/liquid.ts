import { Context, Drop, Liquid, LiquidError, type Template, TokenKind, toValueSync } from "liquidjs";
import { accelerate, FAST_BRANCHES, FAST_OUTPUT, type FastNode } from "./fast-values";

/**
 * Bounds that stop a hostile template. liquidjs's own time limit is no use inside workerd, whose clock stands
 * still while code runs, so the bounds are on work done: how many tags, outputs and text nodes one render may
 * evaluate (loop bodies count on every iteration), how much liquidjs may allocate, and how long the result
 * may grow.
 */
export const RENDER_LIMITS = {
  steps: 100_000,
  memoryLimit: 20_000_000,
  maxOutputChars: 1_000_000,
  parseLimit: 1_000_000,
} as const;

/** Stands in for liquidjs's render-time limiter, which it consults before every node it renders. */
class StepBudget {
  private used = 0;
  check() {
    if (++this.used > RENDER_LIMITS.steps) throw new Error(`render step limit exceeded (${RENDER_LIMITS.steps} steps)`);
  }
}

function stringify(value: unknown): string {
  const v = value instanceof Drop ? value.valueOf() : value;
  if (typeof v === "string") return v;
  if (v === null || v === undefined) return "";
  if (Array.isArray(v)) return v.map(stringify).join("");
  return String(v);
}

/** Collects the output and stops the render as soon as it grows past the output bound. */
class BoundedEmitter {
  buffer = "";
  write(html: unknown) {
    this.buffer += stringify(html);
    if (this.buffer.length > RENDER_LIMITS.maxOutputChars) {
      throw new Error(`rendered output exceeds ${RENDER_LIMITS.maxOutputChars} characters`);
    }
  }
}

const options = {
  parseLimit: RENDER_LIMITS.parseLimit,
  memoryLimit: RENDER_LIMITS.memoryLimit,
  ownPropertyOnly: true,
};

interface Emitter {
  buffer: string;
  write(html: unknown): void;
}

/**
 * liquidjs's renderTemplates, without its generators: static HTML and accelerated outputs are written
 * directly, tags still render themselves (and call back into this for their children). Sync rendering only,
 * which is all Flarecast does; liquidjs's version also reads the clock before every node for a time limit
 * that cannot fire in workerd. The node budget is still consulted before every node.
 */
function renderTemplatesSync(templates: Template[], ctx: Context, emitter?: Emitter): string {
  const out = emitter ?? new BoundedEmitter();
  const budget = (ctx as unknown as { renderLimit: { check(): void } }).renderLimit;
  for (const tpl of templates) {
    budget.check();
    const fast = (tpl as FastNode)[FAST_OUTPUT];
    const branch = (tpl as FastNode)[FAST_BRANCHES];
    if (fast) out.write(fast(ctx));
    else if (branch) renderTemplatesSync(branch(ctx), ctx, out);
    else if (tpl.token.kind === TokenKind.HTML) out.write((tpl as unknown as { str: string }).str);
    else {
      const html = toValueSync(tpl.render(ctx, out as never) as never);
      if (html) out.write(html);
    }
    if (ctx.breakCalled || ctx.continueCalled) break;
  }
  return out.buffer;
}

const withSyncRenderer = (engine: Liquid) => {
  engine.renderer.renderTemplates = renderTemplatesSync as never;
  return engine;
};

const HTML_SPECIAL = /[&<>"']/;

/**
 * liquidjs's escape filter (same entities, same memory accounting), without a callback per character: most
 * values have nothing to escape and are returned as they are.
 */
function escapeOutput(this: { context: { memoryLimit: { use(n: number): void } } }, value: unknown): string {
  const str = stringify(value);
  this.context.memoryLimit.use(str.length);
  if (!HTML_SPECIAL.test(str)) return str;
  return str.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&#34;").replaceAll("'", "&#39;");
}

/** HTML bodies: every `{{ }}` output is HTML-escaped unless marked `| raw`. */
const htmlEngine = withSyncRenderer(new Liquid({ ...options, outputEscape: escapeOutput }));
/** Subjects, preview text and text bodies: plain text, nothing to escape. */
const textEngine = withSyncRenderer(new Liquid(options));

export type LiquidFlavour = "html" | "text";
const engines: Record<LiquidFlavour, Liquid> = { html: htmlEngine, text: textEngine };

export class TemplateSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly column: number,
    /** The template field the error is in, such as body_html. */
    readonly field?: string,
  ) {
    super(message);
    this.name = "TemplateSyntaxError";
  }

  inField(field: string): TemplateSyntaxError {
    return new TemplateSyntaxError(this.message, this.line, this.column, field);
  }
}

export class TemplateRenderError extends Error {
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = "TemplateRenderError";
  }

  inField(field: string): TemplateRenderError {
    return new TemplateRenderError(this.message, field);
  }
}

function firstLine(message: string): string {
  return message.split("\n")[0].replace(/, line:\d+, col:\d+$/, "");
}

export function parseLiquid(source: string, flavour: LiquidFlavour): Template[] {
  try {
    return accelerate(engines[flavour].parse(source));
  } catch (err) {
    if (err instanceof LiquidError) {
      const [line, column] = err.token?.getPosition() ?? [1, 1];
      throw new TemplateSyntaxError(firstLine(err.message), line, column);
    }
    throw err;
  }
}

/** Parsed templates per isolate, keyed by template id, version and part: each version is parsed once. */
const MAX_CACHED = 500;
const parsedCache = new Map<string, Template[]>();

/** `source` may be a function, for sources that are costly to build (generated text) and built once per key. */
export function parseCached(key: string, source: string | (() => string), flavour: LiquidFlavour): Template[] {
  const hit = parsedCache.get(key);
  if (hit) {
    parsedCache.delete(key);
    parsedCache.set(key, hit);
    return hit;
  }
  const parsed = parseLiquid(typeof source === "function" ? source() : source, flavour);
  parsedCache.set(key, parsed);
  if (parsedCache.size > MAX_CACHED) parsedCache.delete(parsedCache.keys().next().value as string);
  return parsed;
}

/**
 * Renders synchronously: Flarecast's templates never load files or call async filters, and liquidjs's async
 * mode costs a promise per node, over ten times the sync render in workerd.
 */
export function renderLiquid(
  parsed: Template[],
  flavour: LiquidFlavour,
  context: Record<string, unknown>,
): string {
  const engine = engines[flavour];
  const ctx = new Context(context, engine.options, { sync: true }, { liquid: engine, renderLimit: new StepBudget() as never });
  const emitter = new BoundedEmitter();
  try {
    renderTemplatesSync(parsed, ctx, emitter);
  } catch (err) {
    throw new TemplateRenderError(err instanceof Error ? firstLine(err.message) : String(err));
  }
  return emitter.buffer;
}

/** Top-level variable names a template reads (`features` for `{% for f in features %}{{ f.name }}`). */
export function referencedVariables(parsed: Template[], flavour: LiquidFlavour): string[] {
  return engines[flavour].globalVariablesSync(parsed);
}
