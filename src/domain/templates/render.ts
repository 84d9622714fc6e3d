import type { Template } from "liquidjs";
import type { TemplateVariable } from "../../db/schema";
import { LruCache } from "../../lib/lru-cache";
import { PREHEADER_MARKER, stripBuilderMarkers } from "../builder/markers";
import { type LiquidFlavour, parseLiquid, referencedVariables, renderLiquid, TemplateRenderError, TemplateSyntaxError } from "./liquid";
import { htmlToPlainText } from "./plain-text";
import { resolveContext } from "./variables";

export interface TemplateContent {
  subject_template: string;
  body_html: string;
  body_text: string | null;
  preview_text: string | null;
  variables: TemplateVariable[];
}

export interface RenderedEmail {
  subject: string;
  html: string;
  text: string;
  preview_text: string | null;
  missing_variables: string[];
}

type Part = "subject_template" | "body_html" | "body_text" | "preview_text";
const flavourOf: Record<Part, LiquidFlavour> = {
  subject_template: "text",
  body_html: "html",
  body_text: "text",
  preview_text: "text",
};

const LIQUID_TAG = /\{\{[\s\S]*?\}\}|\{%[\s\S]*?%\}/g;

/**
 * The text body of a template without one: its HTML source converted to text once, with the Liquid kept
 * (masked as unbreakable tokens while html-to-text works), so each recipient costs a Liquid render instead
 * of an HTML-to-text conversion, which is twenty times dearer.
 */
export function generatedTextSource(htmlSource: string): string {
  const liquid: string[] = [];
  const masked = htmlSource.replace(LIQUID_TAG, (tag) => `\u27e6${liquid.push(tag) - 1}\u27e7`);
  return htmlToPlainText(masked).replace(/\u27e6(\d+)\u27e7/g, (_, i) => liquid[Number(i)]);
}

/** The Liquid source of a part as it is rendered: builder markers are editing metadata, never sent. */
const sourceOf = (content: TemplateContent, part: Part) =>
  part === "body_html" ? stripBuilderMarkers(content.body_html) : (content[part] ?? "");

function parsePart(content: TemplateContent, part: Part): Template[] {
  try {
    return parseLiquid(sourceOf(content, part), flavourOf[part]);
  } catch (err) {
    throw err instanceof TemplateSyntaxError ? err.inField(part) : err;
  }
}

/**
 * Parses every Liquid part of a template; throws TemplateSyntaxError naming the part, line and column of the
 * first error. Used to refuse unparseable templates when they are saved.
 */
export function checkTemplateSyntax(content: TemplateContent): void {
  for (const part of Object.keys(flavourOf) as Part[]) parsePart(content, part);
}

export function variablesUsedBy(content: TemplateContent): string[] {
  const used = new Set<string>();
  for (const part of Object.keys(flavourOf) as Part[]) {
    for (const name of referencedVariables(parseLiquid(sourceOf(content, part), flavourOf[part]), flavourOf[part])) {
      used.add(name);
    }
  }
  return [...used];
}

const PREHEADER_STYLE =
  "display:none;font-size:1px;color:#ffffff;line-height:1px;max-height:0;max-width:0;opacity:0;overflow:hidden;mso-hide:all;";

/** The context variable the preheader slot prints: the recipient's rendered preview text. */
const PREHEADER_VARIABLE = "__flarecast_preheader";

/**
 * Puts a slot for the preview text where inbox lists read it, the first text of the body (hidden when
 * opened), into the HTML source once per version: splicing it into every rendered email would copy the whole
 * email per recipient. The slot adds no line, so syntax errors keep their line numbers.
 */
export function withPreheaderSlot(htmlSource: string): string {
  const slot = `{% if ${PREHEADER_VARIABLE} %}<div style="${PREHEADER_STYLE}">{{ ${PREHEADER_VARIABLE} }}</div>{% endif %}`;
  const body = htmlSource.match(/<body[^>]*>/i);
  if (!body || body.index === undefined) return slot + htmlSource;
  const at = body.index + body[0].length;
  return htmlSource.slice(0, at) + slot + htmlSource.slice(at);
}

/** A template version made ready to render: every part parsed, and what per-recipient work can skip. */
interface PreparedTemplate {
  subject: Template[];
  html: Template[];
  /** The text body, or the text generated from the HTML source when the template has none. */
  text: Template[];
  textGenerated: boolean;
  preview: Template[] | null;
}

function prepare(content: TemplateContent): PreparedTemplate {
  const textGenerated = !content.body_text;
  // A compiled design carries its own preheader; code templates with a preview text get a slot for one.
  const needsPreheader = !!content.preview_text && !content.body_html.includes(PREHEADER_MARKER);
  return {
    subject: parsePart(content, "subject_template"),
    html: needsPreheader
      ? parsePart({ ...content, body_html: withPreheaderSlot(content.body_html) }, "body_html")
      : parsePart(content, "body_html"),
    text: textGenerated ? parseLiquid(generatedTextSource(sourceOf(content, "body_html")), "text") : parsePart(content, "body_text"),
    textGenerated,
    preview: content.preview_text ? parsePart(content, "preview_text") : null,
  };
}

/** Prepared versions per isolate, keyed by template id and version: each version is parsed once. */
const preparedVersions = new LruCache<PreparedTemplate>(200);

/**
 * Renders one recipient's email. `cacheKey` (template id and version) lets each version be prepared once per
 * isolate; without it every part is parsed on every call.
 */
export async function renderTemplate(content: TemplateContent, given: Record<string, unknown>, cacheKey?: string): Promise<RenderedEmail> {
  const { context, missing } = resolveContext(content.variables, given);
  const template = cacheKey ? preparedVersions.getOrCreate(cacheKey, () => prepare(content)) : prepare(content);
  const render = (parsed: Template[], part: Part, flavour: LiquidFlavour) => {
    try {
      return renderLiquid(parsed, flavour, context);
    } catch (err) {
      throw err instanceof TemplateRenderError ? err.inField(part) : err;
    }
  };
  const subject = render(template.subject, "subject_template", "text");
  const preview = template.preview ? render(template.preview, "preview_text", "text") : null;
  context[PREHEADER_VARIABLE] = preview;
  const html = render(template.html, "body_html", "html");
  const text = template.textGenerated ? render(template.text, "body_html", "text").trim() : render(template.text, "body_text", "text");
  return { subject: subject.replace(/\s+/g, " ").trim(), html, text, preview_text: preview, missing_variables: missing };
}
