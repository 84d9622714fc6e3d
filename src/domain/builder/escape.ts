/**
 * Escaping for HTML that carries Liquid. Only the parts outside `{{ }}` and `{% %}` are escaped, so the
 * Liquid still parses and its own output is escaped at render time by the HTML engine.
 */
const LIQUID = /(\{\{[\s\S]*?\}\}|\{%[\s\S]*?%\})/;

const escapeText = (s: string) => s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
const escapeAttr = (s: string) => escapeText(s).replaceAll('"', "&quot;");

const mapOutsideLiquid = (s: string, outside: (part: string) => string, inside: (part: string) => string) =>
  s
    .split(LIQUID)
    .map((part, i) => (i % 2 === 1 ? inside(part) : outside(part)))
    .join("");

export const htmlText = (s: string) => mapOutsideLiquid(s, escapeText, (liquid) => liquid);

/** Inside a double-quoted attribute a Liquid string literal must use single quotes. */
export const htmlAttr = (s: string) => mapOutsideLiquid(s, escapeAttr, (liquid) => liquid.replaceAll('"', "'"));

const INLINE_TAGS = new Set(["a", "b", "strong", "i", "em", "u", "s", "br", "span", "code", "small", "sup", "sub"]);
const TAG = /(<\/?[a-zA-Z][^<>]*>)/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL delimits placeholders because no HTML text can hold it.
const PLACEHOLDER = /\u0000(\d+)\u0000/g;

/**
 * Text blocks accept inline formatting (bold, italics, links, line breaks). Any other markup is shown as
 * text, so a text block can never close the table cell it sits in and break the layout around it.
 */
export function inlineHtml(s: string): string {
  const liquid: string[] = [];
  const masked = s.replace(new RegExp(LIQUID.source, "g"), (m) => `\u0000${liquid.push(m) - 1}\u0000`);
  const restore = (part: string, inAttribute: boolean) =>
    part.replace(PLACEHOLDER, (_, i) => (inAttribute ? liquid[Number(i)].replaceAll('"', "'") : liquid[Number(i)]));

  return masked
    .split(TAG)
    .map((part, i) => {
      if (i % 2 === 0) return restore(escapeAttr(part), false);
      const match = part.match(/^<(\/?)([a-zA-Z][a-zA-Z0-9]*)/);
      const [closing, name] = [match?.[1] === "/", match?.[2]?.toLowerCase() ?? ""];
      if (!INLINE_TAGS.has(name)) return restore(escapeAttr(part), false);
      if (closing) return name === "br" ? "" : `</${name}>`;
      if (name !== "a") return `<${name}>`;
      const href = part.match(/href\s*=\s*(?:"([^"]*)"|'([^']*)')/i);
      const url = restore(href?.[1] ?? href?.[2] ?? "", true);
      return url ? `<a href="${htmlAttr(url)}" target="_blank">` : "<a>";
    })
    .join("");
}
