import { z } from "@hono/zod-openapi";

const LIQUID_DELIMITER = /\{\{|\}\}|\{%|%\}/;
const noLiquidDelimiters = (s: string) => !LIQUID_DELIMITER.test(s);

const color = z.string().regex(/^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/, "must be a hex colour such as #1a2b3c");
const align = z.enum(["left", "center", "right"]);
/** Text that may carry Liquid (`Hello {{ recipient_name }}`). */
const text = z.string().max(20_000);
const shortText = z.string().min(1).max(500);
const url = z
  .string()
  .min(1)
  .max(2000)
  .refine((s) => !/[\s"<>]/.test(s.replace(/\{\{[^}]*\}\}/g, "")), "must be a URL or a Liquid output such as {{ url }}");
const variablePath = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$/, "must be a variable name such as user.first_name");
const expression = z
  .string()
  .min(1)
  .max(300)
  .refine(noLiquidDelimiters, 'is a Liquid expression without {{ }} or {% %}, such as has_trial or plan == "pro"');
const padding = z.number().int().min(0).max(64);

export const socialNetworks = ["facebook", "x", "instagram", "linkedin", "youtube", "github", "tiktok", "mastodon", "website"] as const;

/** Every block's props, by block type: the one description of the builder's blocks. */
export const blockProps = {
  container: z.object({ backgroundColor: color.optional(), padding: padding.optional() }).strict(),
  section: z.object({ backgroundColor: color.optional(), padding: padding.optional() }).strict(),
  column: z.object({ width: z.number().int().min(5).max(100).optional() }).strict(),
  divider: z
    .object({ color: color.optional(), thickness: z.number().int().min(1).max(10).optional(), padding: padding.optional() })
    .strict(),
  spacer: z.object({ height: z.number().int().min(1).max(200) }).strict(),
  header: z
    .object({
      text: shortText,
      level: z.union([z.literal(1), z.literal(2), z.literal(3)]).optional(),
      align: align.optional(),
      color: color.optional(),
    })
    .strict(),
  text: z
    .object({
      text: text.openapi({ description: "Inline HTML and Liquid allowed" }),
      color: color.optional(),
      align: align.optional(),
      fontSize: z.number().int().min(10).max(40).optional(),
    })
    .strict(),
  image: z
    .object({
      src: url,
      alt: z.string().max(500),
      width: z.number().int().min(1).max(1200).optional(),
      href: url.optional(),
      align: align.optional(),
    })
    .strict(),
  button: z
    .object({ text: shortText, href: url, backgroundColor: color.optional(), color: color.optional(), align: align.optional() })
    .strict(),
  link: z.object({ text: shortText, href: url, color: color.optional(), align: align.optional() }).strict(),
  hero: z
    .object({
      title: shortText,
      subtitle: z.string().max(1000).optional(),
      buttonText: shortText.optional(),
      buttonHref: url.optional(),
      imageSrc: url.optional(),
      imageAlt: z.string().max(500).optional(),
      backgroundColor: color.optional(),
      color: color.optional(),
    })
    .strict()
    .refine((p) => (p.buttonText === undefined) === (p.buttonHref === undefined), {
      message: "buttonText and buttonHref go together",
      path: ["buttonHref"],
    }),
  footer: z
    .object({
      text: z.string().max(2000).optional(),
      includeUnsubscribe: z.boolean().optional(),
      includePostalAddress: z.boolean().optional(),
      color: color.optional(),
    })
    .strict(),
  social: z
    .object({
      links: z
        .array(z.object({ network: z.enum(socialNetworks), href: url }).strict())
        .min(1)
        .max(10),
      align: align.optional(),
    })
    .strict(),
  variable: z
    .object({
      name: variablePath,
      fallback: z
        .string()
        .max(200)
        .refine((s) => !/["\\]/.test(s) && noLiquidDelimiters(s), "may not contain double quotes, backslashes or Liquid")
        .optional(),
    })
    .strict(),
  conditional: z.object({ condition: expression }).strict(),
  loop: z
    .object({
      item: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be a Liquid identifier"),
      collection: variablePath,
      limit: z.number().int().min(1).max(100).optional(),
    })
    .strict(),
  custom: z
    .object({
      slug: z.string().regex(/^[a-z0-9](?:[a-z0-9-]{0,46}[a-z0-9])?$/, "must be the slug of a custom block"),
      overrides: z
        .record(z.string(), z.unknown())
        .optional()
        .openapi({ description: "Props that replace the custom block's default_props on its root block" }),
    })
    .strict(),
} as const;

export type BlockType = keyof typeof blockProps;
export const blockTypes = Object.keys(blockProps) as BlockType[];
export const PARENT_TYPES = new Set<BlockType>(["container", "section", "column", "conditional", "loop"]);

type Props<T extends BlockType> = z.infer<(typeof blockProps)[T]>;
type Leaf<T extends BlockType> = { type: T; props: Props<T> };
type LeafType = Exclude<BlockType, "container" | "section" | "column" | "conditional" | "loop" | "custom">;
type CustomBlockRef = { type: "custom"; props: Props<"custom"> };

/** What a column (and a conditional or loop inside one) may hold. */
export type ContentBlock =
  | { [T in LeafType]: Leaf<T> }[LeafType]
  | { type: "conditional"; props: Props<"conditional">; children: ContentBlock[] }
  | { type: "loop"; props: Props<"loop">; children: ContentBlock[] };

export type ColumnBlock = { type: "column"; props: Props<"column">; children: ContentBlock[] };

/** What the design, a container, or a top-level conditional or loop may hold. */
export type Block =
  | { [T in LeafType]: Leaf<T> }[LeafType]
  | CustomBlockRef
  | { type: "container"; props: Props<"container">; children: Block[] }
  | { type: "section"; props: Props<"section">; children: ColumnBlock[] }
  | { type: "conditional"; props: Props<"conditional">; children: Block[] }
  | { type: "loop"; props: Props<"loop">; children: Block[] };

export type AnyBlock = Block | ContentBlock | ColumnBlock;

const leaf = <T extends LeafType>(type: T) => z.object({ type: z.literal(type), props: blockProps[type] }).strict();
const leaves = () =>
  [
    leaf("divider"),
    leaf("spacer"),
    leaf("header"),
    leaf("text"),
    leaf("image"),
    leaf("button"),
    leaf("link"),
    leaf("hero"),
    leaf("footer"),
    leaf("social"),
    leaf("variable"),
  ] as const;

export const ContentBlockSchema: z.ZodType<ContentBlock> = z
  .lazy(() =>
    z.discriminatedUnion("type", [
      ...leaves(),
      z.object({ type: z.literal("conditional"), props: blockProps.conditional, children: z.array(ContentBlockSchema).max(100) }).strict(),
      z.object({ type: z.literal("loop"), props: blockProps.loop, children: z.array(ContentBlockSchema).max(100) }).strict(),
    ]),
  )
  .openapi("ContentBlock", { description: "A block a column may hold" });

export const ColumnBlockSchema: z.ZodType<ColumnBlock> = z
  .object({ type: z.literal("column"), props: blockProps.column, children: z.array(ContentBlockSchema).max(100) })
  .strict()
  .openapi("ColumnBlock");

/**
 * How deep blocks may nest (a top-level block is at depth 1, its children at 2, …) and how many blocks one
 * tree may hold. A section, its column and a conditional inside already take three levels, so ten leave
 * room for any real layout, and both keep compiling, rendering and zod's recursive parse far from the stack's end.
 */
export const DESIGN_LIMITS = { maxDepth: 10, maxBlocks: 1000 } as const;

export const DESIGN_LIMITS_TEXT = `Blocks nest at most ${DESIGN_LIMITS.maxDepth} deep (a top-level block is at depth 1) and a tree holds at most ${DESIGN_LIMITS.maxBlocks} blocks.`;

interface TreeIssue {
  path: (string | number)[];
  message: string;
}

/**
 * Where a raw block list first breaks the depth or size limit. It walks the value before zod does, without
 * recursion, and never descends past the limit, so a tree nested 10,000 deep costs eleven levels of work and
 * is refused with a path instead of overflowing the stack in the recursive parse.
 */
export function blockTreeIssue(blocks: unknown, path: (string | number)[] = []): TreeIssue | null {
  const pending: { list: unknown; depth: number; path: (string | number)[] }[] = [{ list: blocks, depth: 1, path }];
  let count = 0;
  while (pending.length > 0) {
    const { list, depth, path: at } = pending.pop() as (typeof pending)[number];
    if (!Array.isArray(list)) continue;
    for (let i = 0; i < list.length; i++) {
      if (++count > DESIGN_LIMITS.maxBlocks)
        return { path: [...at, i], message: `a design holds at most ${DESIGN_LIMITS.maxBlocks} blocks` };
      const children = (list[i] as { children?: unknown } | null)?.children;
      if (!Array.isArray(children) || children.length === 0) continue;
      if (depth === DESIGN_LIMITS.maxDepth) {
        return { path: [...at, i, "children"], message: `blocks nest at most ${DESIGN_LIMITS.maxDepth} deep` };
      }
      pending.push({ list: children, depth: depth + 1, path: [...at, i, "children"] });
    }
  }
  return null;
}

/** `schema`, parsed only once `issueOf` finds nothing wrong with the raw value. */
const checkedFirst = <T extends z.ZodType>(schema: T, issueOf: (value: unknown) => TreeIssue | null) =>
  z.preprocess((value, ctx) => {
    const issue = issueOf(value);
    if (issue) ctx.addIssue({ code: "custom", path: issue.path, message: issue.message });
    return value;
  }, schema);

export const BlockSchema: z.ZodType<Block> = z
  .lazy(() =>
    z.discriminatedUnion("type", [
      ...leaves(),
      z.object({ type: z.literal("custom"), props: blockProps.custom }).strict(),
      z.object({ type: z.literal("container"), props: blockProps.container, children: z.array(BlockSchema).max(100) }).strict(),
      z
        .object({ type: z.literal("section"), props: blockProps.section, children: z.array(ColumnBlockSchema).min(1).max(4) })
        .strict()
        .refine((s) => s.children.reduce((sum, c) => sum + (c.props.width ?? 0), 0) <= 100, {
          message: "column widths add up to more than 100%",
          path: ["children"],
        }),
      z.object({ type: z.literal("conditional"), props: blockProps.conditional, children: z.array(BlockSchema).max(100) }).strict(),
      z.object({ type: z.literal("loop"), props: blockProps.loop, children: z.array(BlockSchema).max(100) }).strict(),
    ]),
  )
  .openapi("Block", { description: "A block of a design, a container, or a top-level conditional or loop" });

export const DesignSettingsSchema = z
  .object({
    backgroundColor: color,
    width: z.number().int().min(320).max(900),
    fontFamily: z
      .string()
      .min(1)
      .max(200)
      .regex(/^[A-Za-z0-9 ,'-]+$/, "must be a CSS font list such as Arial, sans-serif"),
  })
  .strict();

/** A custom block's definition: one block tree, under the same limits as a design's. */
export const RootBlockSchema = checkedFirst(BlockSchema, (value) => {
  const issue = blockTreeIssue([value]);
  return issue && { ...issue, path: issue.path.slice(1) };
});

export const DesignSchema = z
  .object({
    version: z.literal(1),
    settings: DesignSettingsSchema,
    blocks: checkedFirst(z.array(BlockSchema).max(200), (value) => blockTreeIssue(value)),
  })
  .strict()
  .openapi("Design", {
    description: `A visual-builder design: settings and a tree of blocks (see GET /workspaces/{ws}/visual-builder/blocks). ${DESIGN_LIMITS_TEXT}`,
    example: {
      version: 1,
      settings: { backgroundColor: "#f8f9fa", width: 600, fontFamily: "Arial, sans-serif" },
      blocks: [
        {
          type: "hero",
          props: { title: "Welcome!", subtitle: "Get started", buttonText: "Learn More", buttonHref: "https://aexy.io/docs" },
        },
        { type: "text", props: { text: "Hello {{ recipient_name }}!", color: "#333333" } },
      ],
    },
  });

export type Design = z.infer<typeof DesignSchema>;
export type DesignSettings = z.infer<typeof DesignSettingsSchema>;
