import type { TemplateVariable } from "../../db/schema";
import { PREHEADER_MARKER, stripBuilderMarkers } from "../builder/markers";
import {
  type LiquidFlavour,
  parseCached,
  parseLiquid,
  referencedVariables,
  renderLiquid,
  TemplateRenderError,
  TemplateSyntaxError,
} from "./liquid";
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

/**
 * Parses every Liquid part of a template; throws TemplateSyntaxError naming the part, line and column of the
 * first error. Used to refuse unparseable templates when they are saved.
 */
export function checkTemplateSyntax(content: TemplateContent): void {
  for (const part of Object.keys(flavourOf) as Part[]) {
    try {
      parseLiquid(sourceOf(content, part), flavourOf[part]);
    } catch (err) {
      throw err instanceof TemplateSyntaxError ? err.inField(part) : err;
    }
  }
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

const escapeHtml = (s: string) => s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");

/** Puts the preview text where inbox lists read it: the first text of the body, hidden when opened. */
export function withPreheader(html: string, previewText: string): string {
  if (!previewText) return html;
  const preheader = `<div style="${PREHEADER_STYLE}">${escapeHtml(previewText)}</div>`;
  const body = html.match(/<body[^>]*>/i);
  if (!body || body.index === undefined) return preheader + html;
  const at = body.index + body[0].length;
  return html.slice(0, at) + preheader + html.slice(at);
}

/**
 * Renders one recipient's email. `cacheKey` (template id and version) lets each version be parsed once per
 * isolate; without it the parts are parsed on every call.
 */
export async function renderTemplate(
  content: TemplateContent,
  given: Record<string, unknown>,
  cacheKey?: string,
): Promise<RenderedEmail> {
  const { context, missing } = resolveContext(content.variables, given);
  const render = (part: Part) => {
    const source = () => sourceOf(content, part);
    const parsed = cacheKey ? parseCached(`${cacheKey}:${part}`, source, flavourOf[part]) : parseLiquid(source(), flavourOf[part]);
    try {
      return renderLiquid(parsed, flavourOf[part], context);
    } catch (err) {
      throw err instanceof TemplateRenderError ? err.inField(part) : err;
    }
  };
  const renderGeneratedText = () => {
    const source = () => generatedTextSource(sourceOf(content, "body_html"));
    const parsed = cacheKey ? parseCached(`${cacheKey}:generated_text`, source, "text") : parseLiquid(source(), "text");
    try {
      return renderLiquid(parsed, "text", context).trim();
    } catch (err) {
      throw err instanceof TemplateRenderError ? err.inField("body_html") : err;
    }
  };
  const subject = render("subject_template");
  const rawHtml = render("body_html");
  const preview = content.preview_text ? render("preview_text") : null;
  // A compiled design carries its own preheader; code templates get one put in.
  const html = content.body_html.includes(PREHEADER_MARKER) ? rawHtml : withPreheader(rawHtml, preview ?? "");
  const text = content.body_text ? render("body_text") : renderGeneratedText();
  return { subject: subject.replace(/\s+/g, " ").trim(), html, text, preview_text: preview, missing_variables: missing };
}
