import { Liquid, LiquidError, type Template } from "liquidjs";

/**
 * Bounds that stop a hostile template. Time limits are no use inside workerd, whose clock stands still while
 * code runs, so the bounds are on work done: how many tags and outputs one render may evaluate, how much it
 * may allocate, and how long the result may be.
 */
export const RENDER_LIMITS = {
  templateLimit: 100_000,
  memoryLimit: 20_000_000,
  maxOutputBytes: 1_000_000,
  parseLimit: 1_000_000,
} as const;

const options = {
  parseLimit: RENDER_LIMITS.parseLimit,
  memoryLimit: RENDER_LIMITS.memoryLimit,
  ownPropertyOnly: true,
};

/** HTML bodies: every `{{ }}` output is HTML-escaped unless marked `| raw`. */
const htmlEngine = new Liquid({ ...options, outputEscape: "escape" });
/** Subjects, preview text and text bodies: plain text, nothing to escape. */
const textEngine = new Liquid(options);

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
  constructor(message: string) {
    super(message);
    this.name = "TemplateRenderError";
  }
}

function firstLine(message: string): string {
  return message.split("\n")[0].replace(/, line:\d+, col:\d+$/, "");
}

export function parseLiquid(source: string, flavour: LiquidFlavour): Template[] {
  try {
    return engines[flavour].parse(source);
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

export function parseCached(key: string, source: string, flavour: LiquidFlavour): Template[] {
  const hit = parsedCache.get(key);
  if (hit) {
    parsedCache.delete(key);
    parsedCache.set(key, hit);
    return hit;
  }
  const parsed = parseLiquid(source, flavour);
  parsedCache.set(key, parsed);
  if (parsedCache.size > MAX_CACHED) parsedCache.delete(parsedCache.keys().next().value as string);
  return parsed;
}

export async function renderLiquid(
  parsed: Template[],
  flavour: LiquidFlavour,
  context: Record<string, unknown>,
): Promise<string> {
  let output: string;
  try {
    output = await engines[flavour].render(parsed, context, { templateLimit: RENDER_LIMITS.templateLimit });
  } catch (err) {
    throw new TemplateRenderError(err instanceof Error ? firstLine(err.message) : String(err));
  }
  if (output.length > RENDER_LIMITS.maxOutputBytes) {
    throw new TemplateRenderError(`rendered output exceeds ${RENDER_LIMITS.maxOutputBytes} bytes`);
  }
  return output;
}

/** Top-level variable names a template reads (`features` for `{% for f in features %}{{ f.name }}`). */
export function referencedVariables(parsed: Template[], flavour: LiquidFlavour): string[] {
  return engines[flavour].globalVariablesSync(parsed);
}
