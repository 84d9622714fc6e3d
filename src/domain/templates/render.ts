import type { TemplateVariable } from "../../db/schema";
import { stripBuilderMarkers } from "../builder/markers";
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
function withPreheader(html: string, previewText: string): string {
  if (!previewText || html.includes("data-fc-preheader")) return html;
  const preheader = `<div data-fc-preheader style="${PREHEADER_STYLE}">${escapeHtml(previewText)}</div>`;
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
    const source = sourceOf(content, part);
    const parsed = cacheKey ? parseCached(`${cacheKey}:${part}`, source, flavourOf[part]) : parseLiquid(source, flavourOf[part]);
    return renderLiquid(parsed, flavourOf[part], context).catch((err: unknown) => {
      throw err instanceof TemplateRenderError ? err.inField(part) : err;
    });
  };
  const [subject, rawHtml, preview] = await Promise.all([
    render("subject_template"),
    render("body_html"),
    content.preview_text ? render("preview_text") : Promise.resolve(null),
  ]);
  const html = withPreheader(rawHtml, preview ?? "").replaceAll(" data-fc-preheader", "");
  const text = content.body_text ? await render("body_text") : htmlToPlainText(html);
  return { subject: subject.replace(/\s+/g, " ").trim(), html, text, preview_text: preview, missing_variables: missing };
}
