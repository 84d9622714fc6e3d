import { Parser } from "htmlparser2";
import { invalidField } from "../errors";
import { type Design, DesignSchema, PARENT_TYPES } from "./design-schema";
import { BLOCK_ATTR, DESIGN_ATTR, PROPS_ATTR } from "./markers";

export class NotABuilderTemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NotABuilderTemplateError";
  }
}

interface Node {
  type: string;
  props: unknown;
  children?: Node[];
}

/**
 * template_to_design: rebuilds a design from HTML that design_to_template produced. The tree comes from how
 * the marked elements nest; each block's props and the design's settings come from their markers.
 */
export function templateToDesign(html: string): Design {
  let meta: unknown;
  const roots: Node[] = [];
  const open: (Node | null)[] = [];
  const blockStack: Node[] = [];
  let error: string | undefined;

  const parser = new Parser(
    {
      onopentag(_name, attrs) {
        if (attrs[DESIGN_ATTR] !== undefined && meta === undefined) {
          try {
            meta = JSON.parse(attrs[DESIGN_ATTR]);
          } catch {
            error ??= "the design marker is not valid JSON";
          }
        }
        const type = attrs[BLOCK_ATTR];
        if (type === undefined) {
          open.push(null);
          return;
        }
        let props: unknown;
        try {
          props = JSON.parse(attrs[PROPS_ATTR] ?? "{}");
        } catch {
          error ??= `the props of a ${type} block are not valid JSON`;
        }
        const node: Node = PARENT_TYPES.has(type as never) ? { type, props, children: [] } : { type, props };
        const parent = blockStack.at(-1);
        // Blocks inside a leaf (a custom block's expansion) belong to the leaf, not to the design.
        if (!parent) roots.push(node);
        else parent.children?.push(node);
        blockStack.push(node);
        open.push(node);
      },
      onclosetag() {
        if (open.pop()) blockStack.pop();
      },
    },
    { decodeEntities: true, recognizeSelfClosing: true },
  );
  parser.write(html);
  parser.end();

  if (error) throw new NotABuilderTemplateError(error);
  if (meta === undefined) throw new NotABuilderTemplateError(`it carries no design marker (${DESIGN_ATTR})`);
  const result = DesignSchema.safeParse({ ...(meta as object), blocks: roots });
  if (!result.success) throw new NotABuilderTemplateError(`the recovered design is invalid: ${result.error.issues[0]?.message}`);
  return result.data;
}

/** template_to_design for a request: HTML the builder did not make is a 422 at `field`, where the HTML came from. */
export function recoverDesign(html: string, field: string, source: string): Design {
  try {
    return templateToDesign(html);
  } catch (err) {
    if (err instanceof NotABuilderTemplateError)
      throw invalidField("body", field, `${source} was not made by the visual builder: ${err.message}`);
    throw err;
  }
}
