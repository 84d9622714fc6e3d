/**
 * A compiled design marks each block's outermost element with its type and props, and the outer table with
 * the design's settings, so template_to_design can rebuild the design from the HTML alone. The values are
 * entity-encoded JSON in which no `{` survives, so Liquid never sees a delimiter inside a marker.
 */
export const BLOCK_ATTR = "data-fc-block";
export const PROPS_ATTR = "data-fc-props";
export const DESIGN_ATTR = "data-fc-design";
/** Marks the hidden preview-text element a compiled design carries, so rendering does not add a second. */
export const PREHEADER_MARKER = "data-fc-preheader";

const ENTITIES: Record<string, string> = {
  "&": "&amp;",
  '"': "&quot;",
  "<": "&lt;",
  ">": "&gt;",
  "{": "&#123;",
  "}": "&#125;",
};

export const encodeMarker = (value: unknown) => JSON.stringify(value).replace(/[&"<>{}]/g, (c) => ENTITIES[c]);

const MARKER = /\s+data-fc-(?:(?:block|props|design)="[^"]*"|preheader(?=[\s>]))/g;

/** Markers are editing metadata: they are removed before a template is rendered for sending. */
export const stripBuilderMarkers = (html: string) => html.replace(MARKER, "");
