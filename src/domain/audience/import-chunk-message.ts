import { z } from "zod";
import { attributeTypes } from "./attribute-values";

/**
 * One chunk of a CSV import (IMPORT_QUEUE): at most 500 rows and well under the 128 KB message limit. Each
 * row is `[row_number, email, name, status, attribute values in the order of attribute_keys]`, "" meaning empty;
 * `attribute_types` says how to read each attribute column (absent in chunks sent before types existed: all auto).
 * `rejected` are rows the request handler could not read (malformed quotes, stray values); the consumer
 * only records them, so every row of the file is reported in exactly one chunk.
 */
export const ImportChunkMessageSchema = z.object({
  kind: z.literal("import_chunk"),
  workspace_id: z.string().min(1),
  import_id: z.string().min(1),
  list_id: z.string().min(1),
  chunk: z.number().int().min(0),
  attribute_keys: z.array(z.string()),
  attribute_types: z.array(z.enum(attributeTypes)).optional(),
  rows: z.array(z.tuple([z.number().int().positive(), z.string(), z.string(), z.string(), z.array(z.string())])).max(500),
  rejected: z.array(z.object({ row: z.number().int().positive(), value: z.string().nullable(), reason: z.string() })),
});

export type ImportChunkMessage = z.infer<typeof ImportChunkMessageSchema>;
