import { z } from "@hono/zod-openapi";
import type { TemplateVariable } from "../../db/schema";

export const variableTypes = ["string", "number", "boolean", "date", "list", "object"] as const;

export const TemplateVariableSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be a Liquid identifier"),
    type: z.enum(variableTypes).default("string"),
    required: z.boolean().default(false),
    default: z.unknown().optional(),
    description: z.string().max(500).optional(),
  })
  .openapi("TemplateVariable");

/**
 * Variables the platform fills at send time for every recipient; templates may use them without declaring.
 * `unsubscribe_url` and `preferences_url` are signed per recipient.
 */
export const SYSTEM_VARIABLES = [
  "email",
  "recipient_name",
  "subscriber",
  "unsubscribe_url",
  "preferences_url",
  "postal_address",
  "workspace_name",
  "campaign_name",
  "current_year",
] as const;

/**
 * The context a render sees: declared defaults first, then what the caller gave. Reports required variables
 * that are still missing, so a preview can show them and a send can refuse the recipient with that reason.
 */
export function resolveContext(
  declared: readonly TemplateVariable[],
  given: Record<string, unknown>,
): { context: Record<string, unknown>; missing: string[] } {
  const context: Record<string, unknown> = {};
  for (const variable of declared) {
    if (variable.default !== undefined) context[variable.name] = variable.default;
  }
  Object.assign(context, given);
  const missing = declared
    .filter((v) => v.required && (context[v.name] === undefined || context[v.name] === null || context[v.name] === ""))
    .map((v) => v.name);
  return { context, missing };
}
