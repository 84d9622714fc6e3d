import { Context, Liquid, LiquidError, type Template, Tokenizer, TokenKind } from "liquidjs";
import { renderTemplatesSync } from "./compiled-render";
import { accelerate } from "./fast-values";
import { escapeOutput, stringify } from "./html-escape";

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
  // No file system: an empty in-memory one, so nothing can ever reach liquidjs's default loader, which
  // in workerd fails with "document is not defined". Tags that load files are refused at parse below.
  templates: {},
  parseLimit: RENDER_LIMITS.parseLimit,
  memoryLimit: RENDER_LIMITS.memoryLimit,
  ownPropertyOnly: true,
};

const withSyncRenderer = (engine: Liquid) => {
  // Tags such as capture render their children into an emitter of their own, which must be bounded too.
  engine.renderer.renderTemplates = ((templates: Template[], ctx: Context, emitter?: BoundedEmitter) =>
    renderTemplatesSync(templates, ctx, emitter ?? new BoundedEmitter())) as never;
  return engine;
};

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

/**
 * How deep block tags ({% if %}, {% for %}, {% capture %} …) may nest. liquidjs parses, and this module
 * accelerates and renders, nested tags by recursion; a bound well inside the stack keeps a pathological
 * template a 422 instead of an overflow, and no real email nests a tenth as deep.
 */
export const MAX_LIQUID_NESTING = 100;

const BLOCK_TAGS = new Set(["if", "unless", "for", "case", "capture", "tablerow", "block", "liquid"]);
/** Tags that load another template from a file; a Flarecast template has no files to load. */
const FILE_TAGS = new Set(["render", "include", "layout"]);
/** Tags whose body is not Liquid: tags inside them do not nest. */
const VERBATIM_TAGS = new Set(["raw", "comment"]);

/** A tag token, at the top level or a line of a {% liquid %} tag (whose token class liquidjs does not export). */
type TagLike = { kind: TokenKind; name: string; tokenizer: Tokenizer; getPosition(): [number, number] };

/**
 * Throws at the first tag that loads a file (render, include, layout) and where block tags first nest deeper
 * than MAX_LIQUID_NESTING; reads tokens only, without parsing.
 */
function checkTags(source: string, engine: Liquid): void {
  const { options } = engine;
  const scan = (tokens: readonly unknown[], depth: number): void => {
    let verbatim: string | null = null;
    for (const token of tokens as TagLike[]) {
      if (token.kind !== TokenKind.Tag) continue;
      const { name } = token;
      if (verbatim) {
        if (name === `end${verbatim}`) verbatim = null;
        continue;
      }
      if (FILE_TAGS.has(name)) {
        const [line, column] = token.getPosition();
        throw new TemplateSyntaxError(
          `the {% ${name} %} tag is not supported: a template cannot load other templates or files`,
          line,
          column,
        );
      }
      if (VERBATIM_TAGS.has(name)) {
        verbatim = name;
      } else if (name.startsWith("end")) {
        depth--;
      } else if (BLOCK_TAGS.has(name)) {
        if (++depth > MAX_LIQUID_NESTING) {
          const [line, column] = token.getPosition();
          throw new TemplateSyntaxError(`tags nest deeper than ${MAX_LIQUID_NESTING} levels`, line, column);
        }
        // A {% liquid %} tag's lines are tags of their own, nested inside it; it has no end tag.
        if (name === "liquid") {
          scan(token.tokenizer.readLiquidTagTokens(options), depth);
          depth--;
        }
      }
    }
  };
  scan(new Tokenizer(source, options.operators).readTopLevelTokens(options), 0);
}

export function parseLiquid(source: string, flavour: LiquidFlavour): Template[] {
  try {
    checkTags(source, engines[flavour]);
    return accelerate(engines[flavour].parse(source));
  } catch (err) {
    if (err instanceof LiquidError) {
      const [line, column] = err.token?.getPosition() ?? [1, 1];
      throw new TemplateSyntaxError(firstLine(err.message), line, column);
    }
    throw err;
  }
}

/**
 * Renders synchronously: Flarecast's templates never load files or call async filters, and liquidjs's async
 * mode costs a promise per node, over ten times the sync render in workerd.
 */
export function renderLiquid(parsed: Template[], flavour: LiquidFlavour, context: Record<string, unknown>): string {
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
