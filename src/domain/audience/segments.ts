import { z } from "@hono/zod-openapi";
import { and, eq, not, or, type SQL, sql } from "drizzle-orm";
import { subscribers } from "../../db/schema";
import { subscriberStatuses } from "../../db/schema/enums";

/**
 * The audience filter language: `and` / `or` / `not` groups over conditions on the subscriber. It compiles to
 * parameterized SQL only — every value a user gave is a bound parameter, never SQL text — and `in` lists
 * travel as one JSON parameter (`IN (SELECT value FROM json_each(?))`), so no filter runs into D1's limit
 * of 100 bound parameters per statement.
 */

const scalar = z.union([z.string().max(500), z.number(), z.boolean()]);
const ATTRIBUTE_FIELD = /^attributes\.[A-Za-z0-9_-]{1,64}$/;

const comparisonOps = ["eq", "neq", "contains", "starts_with", "gt", "gte", "lt", "lte", "exists", "in"] as const;

const FieldCondition = z
  .object({
    field: z
      .string()
      .refine((f) => ["email", "email_domain", "name", "status", "created_at"].includes(f) || ATTRIBUTE_FIELD.test(f), {
        message: "must be email, email_domain, name, status, created_at or attributes.<key>",
      }),
    op: z.enum(comparisonOps),
    value: z.union([scalar, z.array(scalar).min(1).max(1000)]).optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.op === "exists") {
      if (c.value !== undefined && typeof c.value !== "boolean") ctx.addIssue({ code: "custom", path: ["value"], message: "exists takes true, false or nothing" });
    } else if (c.op === "in") {
      if (!Array.isArray(c.value)) ctx.addIssue({ code: "custom", path: ["value"], message: "in takes a list of values" });
    } else if (c.value === undefined || Array.isArray(c.value)) {
      ctx.addIssue({ code: "custom", path: ["value"], message: `${c.op} takes one value` });
    }
    if (c.field === "status" && !["eq", "neq", "in"].includes(c.op)) {
      ctx.addIssue({ code: "custom", path: ["op"], message: "status supports eq, neq and in" });
    }
    if (c.field === "status") {
      const values = Array.isArray(c.value) ? c.value : [c.value];
      if (values.some((v) => !subscriberStatuses.includes(v as never))) {
        ctx.addIssue({ code: "custom", path: ["value"], message: `status is one of ${subscriberStatuses.join(", ")}` });
      }
    }
    if (c.field === "created_at" && !["gt", "gte", "lt", "lte"].includes(c.op)) {
      ctx.addIssue({ code: "custom", path: ["op"], message: "created_at supports gt, gte, lt and lte" });
    }
    if (c.field === "created_at" && (typeof c.value !== "string" || Number.isNaN(Date.parse(c.value)))) {
      ctx.addIssue({ code: "custom", path: ["value"], message: "created_at compares with an RFC 3339 time" });
    }
  });

const ListCondition = z
  .object({ list: z.object({ op: z.enum(["member", "not_member"]), list_id: z.string().min(1).max(64) }).strict() })
  .strict();

const EngagementCondition = z
  .object({
    engagement: z
      .object({ op: z.enum(["opened", "clicked", "not_opened", "not_clicked"]), within_days: z.number().int().min(1).max(730) })
      .strict(),
  })
  .strict();

export type AudienceFilter =
  | z.infer<typeof FieldCondition>
  | z.infer<typeof ListCondition>
  | z.infer<typeof EngagementCondition>
  | { and: AudienceFilter[] }
  | { or: AudienceFilter[] }
  | { not: AudienceFilter };

export const AudienceFilterSchema: z.ZodType<AudienceFilter> = z
  .lazy(() =>
    z.union([
      z.object({ and: z.array(AudienceFilterSchema).min(1).max(50) }).strict(),
      z.object({ or: z.array(AudienceFilterSchema).min(1).max(50) }).strict(),
      z.object({ not: AudienceFilterSchema }).strict(),
      FieldCondition,
      ListCondition,
      EngagementCondition,
    ]),
  )
  .openapi("AudienceFilter", {
    description:
      "`{and: [...]}`, `{or: [...]}`, `{not: ...}` over `{field, op, value}` (fields email, email_domain, name, status, created_at, attributes.<key>; ops eq, neq, contains, starts_with, gt, gte, lt, lte, exists, in), `{list: {op: member|not_member, list_id}}` and `{engagement: {op: opened|clicked|not_opened|not_clicked, within_days}}`",
    example: {
      and: [
        { field: "attributes.plan", op: "eq", value: "pro" },
        { field: "email_domain", op: "neq", value: "example.com" },
        { engagement: { op: "opened", within_days: 90 } },
      ],
    },
  });

const emailDomain = sql`substr(${subscribers.email}, instr(${subscribers.email}, '@') + 1)`;

function column(field: string): SQL {
  if (field === "email_domain") return emailDomain;
  if (field.startsWith("attributes.")) return sql`json_extract(${subscribers.attributes}, ${`$."${field.slice(11)}"`})`;
  return sql`${subscribers[field as "email" | "name" | "status" | "created_at"]}`;
}

/** SQLite stores JSON true/false as 1/0; comparisons on attributes see them that way. */
const bind = (v: unknown) => (typeof v === "boolean" ? (v ? 1 : 0) : v);

function fieldCondition(c: z.infer<typeof FieldCondition>): SQL {
  const col = column(c.field);
  const caseless = c.field === "email" || c.field === "email_domain";
  const v = typeof c.value === "string" && caseless ? c.value.toLowerCase() : bind(c.value);
  const lhs = caseless ? sql`lower(${col})` : col;
  switch (c.op) {
    case "eq":
      return sql`${lhs} = ${v}`;
    case "neq":
      return sql`(${lhs} IS NULL OR ${lhs} <> ${v})`;
    case "contains":
      return sql`instr(lower(${col}), lower(${String(c.value)})) > 0`;
    case "starts_with":
      return sql`instr(lower(${col}), lower(${String(c.value)})) = 1`;
    case "gt":
      return sql`${lhs} > ${v}`;
    case "gte":
      return sql`${lhs} >= ${v}`;
    case "lt":
      return sql`${lhs} < ${v}`;
    case "lte":
      return sql`${lhs} <= ${v}`;
    case "exists": {
      const present = c.field.startsWith("attributes.")
        ? sql`json_type(${subscribers.attributes}, ${`$."${c.field.slice(11)}"`}) IS NOT NULL`
        : sql`${col} IS NOT NULL`;
      return c.value === false ? sql`NOT (${present})` : present;
    }
    case "in": {
      const values = (c.value as unknown[]).map((x) => (typeof x === "string" && caseless ? x.toLowerCase() : bind(x)));
      return sql`${lhs} IN (SELECT value FROM json_each(${JSON.stringify(values)}))`;
    }
  }
}

export interface FilterScope {
  workspaceId: string;
  now: Date;
}

export function compileFilter(filter: AudienceFilter, scope: FilterScope): SQL {
  if ("and" in filter) return and(...filter.and.map((f) => compileFilter(f, scope))) as SQL;
  if ("or" in filter) return or(...filter.or.map((f) => compileFilter(f, scope))) as SQL;
  if ("not" in filter) return not(compileFilter(filter.not, scope));
  if ("list" in filter) {
    const member = sql`EXISTS (SELECT 1 FROM list_memberships m WHERE m.subscriber_id = ${subscribers.id} AND m.list_id = ${filter.list.list_id})`;
    return filter.list.op === "member" ? member : not(member);
  }
  if ("engagement" in filter) {
    const { op, within_days } = filter.engagement;
    const since = new Date(scope.now.getTime() - within_days * 86_400_000).toISOString();
    const type = op.endsWith("opened") ? "open" : "click";
    const engaged = sql`EXISTS (SELECT 1 FROM tracking_events e WHERE e.workspace_id = ${scope.workspaceId} AND e.subscriber_id = ${subscribers.id} AND e.event_type = ${type} AND e.occurred_at >= ${since})`;
    return op.startsWith("not_") ? not(engaged) : engaged;
  }
  return fieldCondition(filter);
}

/** Every subscriber of the audience: the workspace, optionally one list, optionally a filter. */
export function audienceCondition(scope: FilterScope, listId?: string | null, filter?: AudienceFilter | null): SQL {
  return and(
    eq(subscribers.workspace_id, scope.workspaceId),
    listId ? compileFilter({ list: { op: "member", list_id: listId } }, scope) : undefined,
    filter ? compileFilter(filter, scope) : undefined,
  ) as SQL;
}
