import { and, asc, eq, inArray } from "drizzle-orm";
import type { Database } from "../../db/client";
import { visualBuilderBlocks } from "../../db/schema";
import { newId } from "../../lib/ids";
import { firstFreeSlug, slugify } from "../../lib/slug";
import { conflict, invalidField, invalidFields } from "../errors";
import { type CustomBlockDefinition, DesignCompileError, designToTemplate } from "./compile";
import { type AnyBlock, type Block, BlockSchema, type Design } from "./design-schema";

export type CustomBlock = typeof visualBuilderBlocks.$inferSelect;

export interface NewCustomBlock {
  name: string;
  slug?: string;
  description?: string | null;
  definition: Block;
  default_props: Record<string, unknown>;
}

function customSlugsIn(blocks: readonly AnyBlock[], found = new Set<string>()): Set<string> {
  for (const block of blocks) {
    if (block.type === "custom") found.add(block.props.slug);
    if ("children" in block) customSlugsIn(block.children, found);
  }
  return found;
}

export async function createCustomBlock(db: Database, workspaceId: string, input: NewCustomBlock): Promise<CustomBlock> {
  if (customSlugsIn([input.definition]).size > 0) {
    throw invalidField("body", "definition", "a custom block cannot contain other custom blocks");
  }
  const root = BlockSchema.safeParse({ ...input.definition, props: { ...input.definition.props, ...input.default_props } });
  if (!root.success) {
    const issue = root.error.issues[0];
    throw invalidField("body", `default_props.${issue?.path.slice(1).join(".")}`, issue?.message ?? "invalid");
  }
  const taken = async (slug: string) =>
    (await db
      .select({ id: visualBuilderBlocks.id })
      .from(visualBuilderBlocks)
      .where(and(eq(visualBuilderBlocks.workspace_id, workspaceId), eq(visualBuilderBlocks.slug, slug)))
      .get()) !== undefined;
  let slug = input.slug;
  if (slug && (await taken(slug))) throw conflict(`A custom block with slug "${slug}" already exists`);
  slug ??= await firstFreeSlug(slugify(input.name, "block"), taken);

  const [created] = await db
    .insert(visualBuilderBlocks)
    .values({
      id: newId("blk"),
      workspace_id: workspaceId,
      name: input.name,
      slug,
      description: input.description ?? null,
      definition: input.definition as unknown as Record<string, unknown>,
      default_props: input.default_props,
    })
    .returning();
  return created;
}

export async function listCustomBlocks(db: Database, workspaceId: string): Promise<CustomBlock[]> {
  return db
    .select()
    .from(visualBuilderBlocks)
    .where(eq(visualBuilderBlocks.workspace_id, workspaceId))
    .orderBy(asc(visualBuilderBlocks.slug))
    .limit(500);
}

/**
 * design_to_template for a stored workspace: loads the custom blocks the design uses and turns compile
 * errors (an unknown custom block, overrides that break it) into a 422 at `field`.
 */
export async function compileDesign(
  db: Database,
  workspaceId: string,
  design: Design,
  previewText: string | null | undefined,
  field: string,
): Promise<string> {
  const slugs = [...customSlugsIn(design.blocks)];
  const customBlocks = new Map<string, CustomBlockDefinition>();
  if (slugs.length > 0) {
    const rows = await db
      .select()
      .from(visualBuilderBlocks)
      .where(and(eq(visualBuilderBlocks.workspace_id, workspaceId), inArray(visualBuilderBlocks.slug, slugs)));
    for (const row of rows) {
      customBlocks.set(row.slug, { definition: row.definition as unknown as Block, default_props: row.default_props });
    }
  }
  try {
    return designToTemplate(design, { previewText, customBlocks });
  } catch (err) {
    if (err instanceof DesignCompileError) throw invalidFields(err.message, [{ location: "body", path: field, message: err.message }]);
    throw err;
  }
}
