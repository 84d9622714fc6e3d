import {
  type AnyBlock,
  type Block,
  BlockSchema,
  type ColumnBlock,
  type ContentBlock,
  type Design,
  type DesignSettings,
} from "./design-schema";
import { htmlAttr, htmlText, inlineHtml } from "./escape";
import { BLOCK_ATTR, DESIGN_ATTR, encodeMarker, PREHEADER_MARKER, PROPS_ATTR } from "./markers";

/**
 * design_to_template: compiles a design to email-client-safe HTML with Liquid inside. Layout is tables with
 * inline styles (Outlook and Gmail ignore most CSS); one media query stacks columns and makes images fluid
 * below the design's width, so it reads well at 375 px.
 */

/** A workspace's saved block: a block tree whose root takes default_props unless a design overrides them. */
export interface CustomBlockDefinition {
  definition: Block;
  default_props: Record<string, unknown>;
}

export class DesignCompileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DesignCompileError";
  }
}

interface Ctx {
  settings: DesignSettings;
  /** Width in px available to the block: images and buttons are sized to it. */
  width: number;
  customBlocks: ReadonlyMap<string, CustomBlockDefinition>;
}

/** A custom block's tree with its root's props overridden, checked as any block is. */
function expandCustomBlock(slug: string, overrides: Record<string, unknown> | undefined, ctx: Ctx): Block {
  const custom = ctx.customBlocks.get(slug);
  if (!custom) throw new DesignCompileError(`no custom block with slug "${slug}"`);
  const root = custom.definition;
  const expanded = BlockSchema.safeParse({ ...root, props: { ...root.props, ...custom.default_props, ...overrides } });
  if (!expanded.success) {
    const issue = expanded.error.issues[0];
    throw new DesignCompileError(`custom block "${slug}" with these overrides is invalid: ${issue?.path.join(".")} ${issue?.message}`);
  }
  return expanded.data;
}

const GUTTER = 24;
const PREHEADER_STYLE =
  "display:none;font-size:1px;color:#ffffff;line-height:1px;max-height:0;max-width:0;opacity:0;overflow:hidden;mso-hide:all;";
const TABLE = 'role="presentation" cellpadding="0" cellspacing="0" border="0"';

const marker = (block: AnyBlock) => `${BLOCK_ATTR}="${block.type}" ${PROPS_ATTR}="${encodeMarker(block.props)}"`;

const row = (block: AnyBlock, tdStyle: string, inner: string, tdAttrs = "") =>
  `<tr ${marker(block)}><td${tdAttrs} style="${tdStyle}">${inner}</td></tr>`;

const rowsTable = (inner: string) => `<table ${TABLE} width="100%" style="width:100%;">${inner}</table>`;

const font = (ctx: Ctx) => `font-family:${ctx.settings.fontFamily};`;

function button(text: string, href: string, background = "#2563eb", color = "#ffffff", align = "center", ctx: Ctx) {
  const margin = align === "center" ? "margin:0 auto;" : align === "right" ? "margin:0 0 0 auto;" : "";
  return (
    `<table ${TABLE} align="${align}" style="${margin}"><tr>` +
    `<td align="center" bgcolor="${background}" style="border-radius:6px;background-color:${background};">` +
    `<a href="${htmlAttr(href)}" target="_blank" style="display:inline-block;padding:12px 28px;${font(ctx)}font-size:16px;` +
    `font-weight:bold;line-height:20px;color:${color};text-decoration:none;border-radius:6px;">${htmlText(text)}</a>` +
    "</td></tr></table>"
  );
}

function image(src: string, alt: string, width: number, href: string | undefined, align: string) {
  const img =
    `<img src="${htmlAttr(src)}" alt="${htmlAttr(alt)}" width="${width}" class="fc-fluid" ` +
    `style="display:block;width:100%;max-width:${width}px;height:auto;border:0;outline:none;text-decoration:none;${align === "center" ? "margin:0 auto;" : ""}">`;
  return href ? `<a href="${htmlAttr(href)}" target="_blank">${img}</a>` : img;
}

const socialLabels: Record<string, string> = {
  facebook: "Facebook",
  x: "X",
  instagram: "Instagram",
  linkedin: "LinkedIn",
  youtube: "YouTube",
  github: "GitHub",
  tiktok: "TikTok",
  mastodon: "Mastodon",
  website: "Website",
};

function blocks(list: readonly (Block | ContentBlock)[], ctx: Ctx): string {
  return list.map((b) => block(b, ctx)).join("");
}

function column(col: ColumnBlock, share: number, ctx: Ctx): string {
  const width = Math.floor(ctx.width * share);
  return (
    `<td ${marker(col)} class="fc-column" width="${width}" valign="top" style="width:${width}px;vertical-align:top;">` +
    rowsTable(blocks(col.children, { ...ctx, width })) +
    "</td>"
  );
}

function block(b: Block | ContentBlock, ctx: Ctx): string {
  const pad = `padding:8px ${GUTTER}px;`;
  const inner = { ...ctx, width: ctx.width - 2 * GUTTER };
  switch (b.type) {
    case "container": {
      const p = b.props.padding ?? 0;
      const style = `padding:${p}px;${b.props.backgroundColor ? `background-color:${b.props.backgroundColor};` : ""}`;
      return row(b, style, rowsTable(blocks(b.children, { ...ctx, width: ctx.width - 2 * p })));
    }
    case "section": {
      const p = b.props.padding ?? 0;
      const width = ctx.width - 2 * p;
      const explicit = b.children.reduce((sum, c) => sum + (c.props.width ?? 0), 0);
      const flexible = b.children.filter((c) => c.props.width === undefined).length;
      const share = (c: ColumnBlock) => (c.props.width ?? (flexible ? (100 - explicit) / flexible : 0)) / 100;
      const cols = b.children.map((c) => column(c, share(c), { ...ctx, width })).join("");
      const style = `padding:${p}px;${b.props.backgroundColor ? `background-color:${b.props.backgroundColor};` : ""}`;
      return row(b, style, `<table ${TABLE} width="100%" style="width:100%;"><tr>${cols}</tr></table>`);
    }
    case "divider": {
      const line = `border-top:${b.props.thickness ?? 1}px solid ${b.props.color ?? "#e5e7eb"};`;
      return row(b, `padding:${b.props.padding ?? 16}px ${GUTTER}px;`, `<div style="${line}font-size:0;line-height:0;">&nbsp;</div>`);
    }
    case "spacer":
      return row(b, `height:${b.props.height}px;font-size:0;line-height:${b.props.height}px;`, "&nbsp;", ` height="${b.props.height}"`);
    case "header": {
      const level = b.props.level ?? 1;
      const size = { 1: 28, 2: 22, 3: 18 }[level];
      const style = `margin:0;${font(ctx)}font-size:${size}px;line-height:1.3;font-weight:bold;color:${b.props.color ?? "#111827"};`;
      return row(b, `${pad}text-align:${b.props.align ?? "left"};`, `<h${level} style="${style}">${htmlText(b.props.text)}</h${level}>`);
    }
    case "text": {
      const style = `margin:0;${font(ctx)}font-size:${b.props.fontSize ?? 16}px;line-height:1.6;color:${b.props.color ?? "#374151"};`;
      return row(b, `${pad}text-align:${b.props.align ?? "left"};`, `<div style="${style}">${inlineHtml(b.props.text)}</div>`);
    }
    case "image": {
      const width = Math.min(b.props.width ?? inner.width, inner.width);
      const align = b.props.align ?? "center";
      return row(b, `${pad}text-align:${align};`, image(b.props.src, b.props.alt, width, b.props.href, align), ` align="${align}"`);
    }
    case "button":
      return row(
        b,
        `padding:12px ${GUTTER}px;`,
        button(b.props.text, b.props.href, b.props.backgroundColor, b.props.color, b.props.align, ctx),
      );
    case "link": {
      const style = `${font(ctx)}font-size:16px;color:${b.props.color ?? "#2563eb"};text-decoration:underline;`;
      return row(
        b,
        `${pad}text-align:${b.props.align ?? "left"};`,
        `<a href="${htmlAttr(b.props.href)}" target="_blank" style="${style}">${htmlText(b.props.text)}</a>`,
      );
    }
    case "hero": {
      const p = b.props;
      const color = p.color ?? "#ffffff";
      const parts = [
        p.imageSrc
          ? `<div style="padding-bottom:16px;">${image(p.imageSrc, p.imageAlt ?? "", inner.width, undefined, "center")}</div>`
          : "",
        `<h1 style="margin:0;${font(ctx)}font-size:32px;line-height:1.25;font-weight:bold;color:${color};">${htmlText(p.title)}</h1>`,
        p.subtitle
          ? `<p style="margin:12px 0 0;${font(ctx)}font-size:18px;line-height:1.5;color:${color};">${htmlText(p.subtitle)}</p>`
          : "",
        p.buttonText && p.buttonHref
          ? `<div style="padding-top:24px;">${button(p.buttonText, p.buttonHref, "#ffffff", p.backgroundColor ?? "#1f2937", "center", ctx)}</div>`
          : "",
      ];
      return row(b, `padding:40px ${GUTTER}px;text-align:center;background-color:${p.backgroundColor ?? "#1f2937"};`, parts.join(""));
    }
    case "footer": {
      const p = b.props;
      const color = p.color ?? "#6b7280";
      const linkStyle = `color:${color};text-decoration:underline;`;
      const lines = [
        p.text ? `<p style="margin:0 0 8px;">${htmlText(p.text)}</p>` : "",
        p.includePostalAddress ? `<p style="margin:0 0 8px;">{{ postal_address | escape | newline_to_br | raw }}</p>` : "",
        p.includeUnsubscribe
          ? `<p style="margin:0;"><a href="{{ unsubscribe_url }}" style="${linkStyle}">Unsubscribe</a> &middot; ` +
            `<a href="{{ preferences_url }}" style="${linkStyle}">Manage preferences</a></p>`
          : "",
      ];
      return row(
        b,
        `padding:24px ${GUTTER}px;text-align:center;${font(ctx)}font-size:12px;line-height:1.5;color:${color};`,
        lines.join(""),
      );
    }
    case "social": {
      const links = b.props.links
        .map(
          (l) => `<a href="${htmlAttr(l.href)}" target="_blank" style="color:#2563eb;text-decoration:none;">${socialLabels[l.network]}</a>`,
        )
        .join(" &middot; ");
      return row(b, `${pad}text-align:${b.props.align ?? "center"};${font(ctx)}font-size:14px;`, links);
    }
    case "variable": {
      const fallback = b.props.fallback === undefined ? "" : ` | default: "${b.props.fallback}"`;
      return row(b, `${pad}${font(ctx)}font-size:16px;line-height:1.6;color:#374151;`, `{{ ${b.props.name}${fallback} }}`);
    }
    case "custom": {
      // Custom blocks do not nest: the expansion compiles without them.
      const expanded = expandCustomBlock(b.props.slug, b.props.overrides, ctx);
      return row(b, "padding:0;", rowsTable(block(expanded, { ...ctx, customBlocks: new Map() })));
    }
    case "conditional":
      return `{% if ${b.props.condition} %}${row(b, "padding:0;", rowsTable(blocks(b.children, ctx)))}{% endif %}`;
    case "loop": {
      const limit = b.props.limit === undefined ? "" : ` limit: ${b.props.limit}`;
      return `{% for ${b.props.item} in ${b.props.collection}${limit} %}${row(b, "padding:0;", rowsTable(blocks(b.children, ctx)))}{% endfor %}`;
    }
  }
}

export interface CompileOptions {
  /** Shown by inbox lists next to the subject; rendered as a hidden preheader. */
  previewText?: string | null;
  /** The workspace's custom blocks by slug, for designs that use them. */
  customBlocks?: ReadonlyMap<string, CustomBlockDefinition>;
}

export function designToTemplate(design: Design, { previewText, customBlocks = new Map() }: CompileOptions = {}): string {
  const { settings } = design;
  const ctx: Ctx = { settings, width: settings.width, customBlocks };
  const preheader = previewText ? `<div ${PREHEADER_MARKER} style="${PREHEADER_STYLE}">${htmlText(previewText)}</div>` : "";
  const meta = encodeMarker({ version: design.version, settings });
  return [
    "<!DOCTYPE html>",
    '<html lang="en" xmlns="http://www.w3.org/1999/xhtml">',
    "<head>",
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="x-apple-disable-message-reformatting">',
    "<style>",
    "body{margin:0;padding:0;-webkit-text-size-adjust:100%;-ms-text-size-adjust:100%;}",
    "table{border-collapse:collapse;}",
    "img{border:0;outline:none;text-decoration:none;}",
    `@media only screen and (max-width:${settings.width + 20}px){`,
    ".fc-container{width:100% !important;max-width:100% !important;}",
    ".fc-column{display:block !important;width:100% !important;max-width:100% !important;}",
    ".fc-fluid{width:100% !important;height:auto !important;}",
    "}",
    "</style>",
    "</head>",
    `<body style="margin:0;padding:0;background-color:${settings.backgroundColor};">`,
    preheader,
    `<table ${TABLE} width="100%" ${DESIGN_ATTR}="${meta}" style="width:100%;background-color:${settings.backgroundColor};">`,
    '<tr><td align="center" style="padding:24px 0;">',
    `<table ${TABLE} class="fc-container" width="${settings.width}" style="width:${settings.width}px;max-width:${settings.width}px;background-color:#ffffff;${font(ctx)}">`,
    blocks(design.blocks, ctx),
    "</table>",
    "</td></tr>",
    "</table>",
    "</body>",
    "</html>",
  ].join("\n");
}
