import { z } from "@hono/zod-openapi";
import { type BlockType, blockProps, blockTypes } from "./design-schema";

const categories: Record<BlockType, "layout" | "content" | "rich" | "dynamic" | "custom"> = {
  container: "layout",
  section: "layout",
  column: "layout",
  divider: "layout",
  spacer: "layout",
  header: "content",
  text: "content",
  image: "content",
  button: "content",
  link: "content",
  hero: "rich",
  footer: "rich",
  social: "rich",
  variable: "dynamic",
  conditional: "dynamic",
  loop: "dynamic",
  custom: "custom",
};

const descriptions: Record<BlockType, string> = {
  container: "A box of blocks with a background and padding",
  section: "A row of 1 to 4 columns that stack on narrow screens",
  column: "A column of a section; holds content blocks",
  divider: "A horizontal rule",
  spacer: "Vertical space",
  header: "A heading (h1 to h3)",
  text: "A paragraph; inline HTML (bold, italics, links) and Liquid allowed",
  image: "An image, fluid on narrow screens; alt text required",
  button: "A bulletproof button (a table cell, so Outlook draws it)",
  link: "A text link",
  hero: "A banner with title, subtitle, optional image and button",
  footer: "Footer text with the postal address and unsubscribe links",
  social: "Links to social profiles",
  variable: "A Liquid variable with a fallback: {{ name | default: fallback }}",
  conditional: "Blocks shown only when a Liquid condition holds: {% if %}",
  loop: "Blocks repeated for each item of a list: {% for %}",
  custom: "A workspace's saved block, by slug",
};

/** Which blocks a block may hold, for builders that check drops before the API does. */
const holds: Partial<Record<BlockType, string>> = {
  container: "any block except column",
  section: "columns only (1 to 4)",
  column: "content blocks: no container, section, column or custom",
  conditional: "what its parent may hold",
  loop: "what its parent may hold",
};

export const builtInBlocks = () =>
  blockTypes.map((type) => ({
    type,
    category: categories[type],
    description: descriptions[type],
    children: holds[type] ?? null,
    props_schema: z.toJSONSchema(blockProps[type], { unrepresentable: "any" }) as Record<string, unknown>,
  }));
