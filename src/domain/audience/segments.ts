import { z } from "@hono/zod-openapi";
import { and, eq, type SQL, sql } from "drizzle-orm";
import type { Database } from "../../db/client";
import { subscriberLists, subscribers } from "../../db/schema";
import { subscriberStatuses } from "../../db/schema/enums";
import { invalidFields } from "../errors";
import { engagementEventType, engagementSince, instantOf } from "./filter-match";

/**
 * The audience filter language: `and` / `or` / `not` groups over conditions on the subscriber. It compiles to
 * parameterized SQL only — every value a user gave is a bound parameter, never SQL text — and `in` lists
 * travel as one JSON parameter (`json_each(?)`), so no filter runs into D1's limit of 100 bound parameters per
 * statement. `matchesFilter` in filter-match.ts evaluates the same language over one subscriber in memory.
 */

/**
 * Groups nest at most this deep and a filter holds at most this many conditions. Each condition binds at most three
 * parameters, so a filter stays within D1's 100 per statement, and the deepest filter's expression tree (typed
 * comparisons included) stays well inside D1's maximum depth of 100.
 */
export const MAX_FILTER_DEPTH = 8;
export const MAX_FILTER_CONDITIONS = 30;

const scalar = z.union([z.string().max(500), z.number(), z.boolean()]);
const ATTRIBUTE_FIELD = /^attributes\.[A-Za-z0-9_-]{1,64}$/;
const TEXT_COLUMNS = ["email", "email_domain", "name"];

const comparisonOps = ["eq", "neq", "contains", "starts_with", "gt", "gte", "lt", "lte", "exists", "in"] as const;
export type Ordering = "eq" | "gt" | "gte" | "lt" | "lte";

const FieldConditionSchema = z
  .object({
    field: z.string().refine((f) => ["email", "email_domain", "name", "status", "created_at"].includes(f) || ATTRIBUTE_FIELD.test(f), {
      message: "must be email, email_domain, name, status, created_at or attributes.<key>",
    }),
    op: z.enum(comparisonOps),
    value: z.union([scalar, z.array(scalar).min(1).max(1000)]).optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    const values = Array.isArray(c.value) ? c.value : c.value === undefined ? [] : [c.value];
    if (c.op === "exists") {
      if (c.value !== undefined && typeof c.value !== "boolean")
        ctx.addIssue({ code: "custom", path: ["value"], message: "exists takes true, false or nothing" });
    } else if (c.op === "in") {
      if (!Array.isArray(c.value)) ctx.addIssue({ code: "custom", path: ["value"], message: "in takes a list of values" });
    } else if (c.value === undefined || Array.isArray(c.value)) {
      ctx.addIssue({ code: "custom", path: ["value"], message: `${c.op} takes one value` });
    } else if ((c.op === "contains" || c.op === "starts_with") && (typeof c.value !== "string" || c.value === "")) {
      ctx.addIssue({ code: "custom", path: ["value"], message: `${c.op} takes a non-empty string` });
    } else if (["gt", "gte", "lt", "lte"].includes(c.op) && typeof c.value === "boolean") {
      ctx.addIssue({ code: "custom", path: ["value"], message: `${c.op} compares numbers, dates or strings` });
    }
    if (TEXT_COLUMNS.includes(c.field) && c.op !== "exists" && values.some((v) => typeof v !== "string")) {
      ctx.addIssue({ code: "custom", path: ["value"], message: `${c.field} compares with strings` });
    }
    if (c.field === "status" && !["eq", "neq", "in"].includes(c.op)) {
      ctx.addIssue({ code: "custom", path: ["op"], message: "status supports eq, neq and in" });
    }
    if (c.field === "status" && values.some((v) => !subscriberStatuses.includes(v as never))) {
      ctx.addIssue({ code: "custom", path: ["value"], message: `status is one of ${subscriberStatuses.join(", ")}` });
    }
    if (c.field === "created_at" && !["gt", "gte", "lt", "lte"].includes(c.op)) {
      ctx.addIssue({ code: "custom", path: ["op"], message: "created_at supports gt, gte, lt and lte" });
    }
    if (c.field === "created_at" && (typeof c.value !== "string" || instantOf(c.value) === undefined)) {
      ctx.addIssue({
        code: "custom",
        path: ["value"],
        message: "created_at compares with a date, YYYY-MM-DDTHH:MM:SS[.fraction][Z|±HH:MM]",
      });
    }
  });

export type FieldCondition = z.infer<typeof FieldConditionSchema>;

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
  | FieldCondition
  | z.infer<typeof ListCondition>
  | z.infer<typeof EngagementCondition>
  | { and: AudienceFilter[] }
  | { or: AudienceFilter[] }
  | { not: AudienceFilter };

const FilterTreeSchema: z.ZodType<AudienceFilter> = z
  .lazy(() =>
    z.union([
      z.object({ and: z.array(FilterTreeSchema).min(1).max(MAX_FILTER_CONDITIONS) }).strict(),
      z.object({ or: z.array(FilterTreeSchema).min(1).max(MAX_FILTER_CONDITIONS) }).strict(),
      z.object({ not: FilterTreeSchema }).strict(),
      FieldConditionSchema,
      ListCondition,
      EngagementCondition,
    ]),
  )
  .openapi("AudienceFilter", {
    description: [
      "`{and: [...]}`, `{or: [...]}`, `{not: ...}` over `{field, op, value}` (fields email, email_domain, name, status, created_at, attributes.<key>;",
      "ops eq, neq, contains, starts_with, gt, gte, lt, lte, exists, in), `{list: {op: member|not_member, list_id}}` and",
      "`{engagement: {op: opened|clicked|not_opened|not_clicked, within_days}}`.",
      `Groups nest at most ${MAX_FILTER_DEPTH} deep and a filter holds at most ${MAX_FILTER_CONDITIONS} conditions; \`in\` takes up to 1000 values.`,
      'An attribute compares by the type of the filter\'s value: a number matches numbers and numeric strings ("70") numerically;',
      'true/false match JSON booleans and the strings "true"/"false" (eq, neq, in only); a date — a string',
      "`YYYY-MM-DDTHH:MM:SS[.fraction][Z|±HH:MM]`, UTC when the offset is absent — matches date strings as instants, to the millisecond;",
      "any other string matches strings, case-sensitively, in code point order. An attribute of another type (missing, null, an object) never matches",
      "a comparison; neq matches exactly what eq does not, and in matches what eq matches for any value of the list.",
      "email and email_domain compare case-insensitively; contains and starts_with ignore ASCII case and match strings only;",
      "created_at compares with a date (gt, gte, lt, lte); exists is true for a key present with any value, null included.",
    ].join(" "),
    example: {
      and: [
        { field: "attributes.plan", op: "eq", value: "pro" },
        { field: "attributes.score", op: "gte", value: 90 },
        { engagement: { op: "opened", within_days: 90 } },
      ],
    },
  });

type Issue = { path: (string | number)[]; message: string };

/**
 * Depth and size are checked on the raw value with a loop before the recursive schema sees it: a body nested
 * thousands deep would otherwise overflow the stack of the recursive parse, and one nested 99 deep would reach
 * D1's expression depth limit. Returns the first group too deep (with its path) or the count overflow.
 */
function filterSizeIssue(value: unknown): Issue | undefined {
  const pending: { node: unknown; path: (string | number)[]; depth: number }[] = [{ node: value, path: [], depth: 0 }];
  let conditions = 0;
  while (pending.length > 0) {
    const { node, path, depth } = pending.pop() as (typeof pending)[number];
    if (typeof node !== "object" || node === null || Array.isArray(node)) continue;
    const group = (["and", "or", "not"] as const).find((g) => g in node);
    if (!group) {
      conditions += 1;
      continue;
    }
    if (depth === MAX_FILTER_DEPTH) return { path, message: `groups nest at most ${MAX_FILTER_DEPTH} deep` };
    const children = (node as Record<string, unknown>)[group];
    if (group === "not") pending.push({ node: children, path: [...path, group], depth: depth + 1 });
    else if (Array.isArray(children)) {
      for (const [i, child] of children.entries()) pending.push({ node: child, path: [...path, group, i], depth: depth + 1 });
    }
  }
  if (conditions > MAX_FILTER_CONDITIONS)
    return { path: [], message: `a filter holds at most ${MAX_FILTER_CONDITIONS} conditions, this one ${conditions}` };
  return undefined;
}

export const AudienceFilterSchema = z.preprocess((value, ctx) => {
  const issue = filterSizeIssue(value);
  if (issue) ctx.addIssue({ code: "custom", path: issue.path, message: issue.message, input: value });
  return value;
}, FilterTreeSchema);

const emailDomain = sql`substr(${subscribers.email}, instr(${subscribers.email}, '@') + 1)`;

const comparators: Record<Ordering, SQL> = { eq: sql.raw("="), gt: sql.raw(">"), gte: sql.raw(">="), lt: sql.raw("<"), lte: sql.raw("<=") };

/**
 * Milliseconds since the epoch of a SQL text that is a date in the sense of `instantOf`, else NULL. julianday()
 * alone would also read "2026-01-01", "now" or a bare number (as a Julian day), so the text's shape is checked first.
 */
const instantSql = (text: SQL) =>
  sql`CASE WHEN substr(${text}, 1, 10) GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]' AND substr(${text}, 11, 9) GLOB 'T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]' AND NOT substr(${text}, 20) GLOB '*[^0-9Z:.+-]*' THEN CAST(round((julianday(${text}) - 2440587.5) * 86400000) AS INTEGER) END`;

/**
 * An attribute condition reads the attribute's JSON type and value once, in a subquery that binds the key path and
 * the filter value as one parameter each, and compares by the kind of the filter value; filter-match.ts states the
 * same rules in TypeScript.
 */
function attributeCondition(key: string, c: FieldCondition): SQL {
  const path = `$."${key}"`;
  if (c.op === "exists") {
    const present = sql`json_type(${subscribers.attributes}, ${path}) IS NOT NULL`;
    return c.value === false ? sql`NOT (${present})` : present;
  }
  const type = sql.raw("attribute_type");
  const value = sql.raw("attribute_value");
  const operand = sql.raw("filter_value");
  const numeric = sql`CASE WHEN ${type} IN ('integer', 'real') THEN ${value} WHEN ${type} = 'text' THEN CASE WHEN json_valid(${value}) THEN CASE WHEN json_type(${value}) IN ('integer', 'real') THEN ${value} ->> '$' END END END`;
  const boolean = sql`CASE ${type} WHEN 'true' THEN 1 WHEN 'false' THEN 0 WHEN 'text' THEN CASE ${value} WHEN 'true' THEN 1 WHEN 'false' THEN 0 END END`;
  const text = sql`CASE WHEN ${type} = 'text' THEN ${value} END`;
  const instant = instantSql(text);
  const holding = (predicate: SQL, bound?: unknown) => {
    const operands = bound === undefined ? sql`${path} AS attribute_path` : sql`${path} AS attribute_path, ${bound} AS filter_value`;
    return sql`EXISTS (SELECT 1 FROM (SELECT json_type(${subscribers.attributes}, attribute_path) AS attribute_type, json_extract(${subscribers.attributes}, attribute_path) AS attribute_value${bound === undefined ? sql`` : sql`, filter_value`} FROM (SELECT ${operands})) WHERE ${predicate})`;
  };

  const compared = (op: Ordering, v: string | number | boolean) => {
    const kind = kindOf(v);
    const lhs = kind === "number" ? numeric : kind === "boolean" ? boolean : kind === "date" ? instant : text;
    return holding(sql`${lhs} ${comparators[op]} ${operand}`, boundOf(v));
  };
  switch (c.op) {
    case "contains":
      return holding(sql`instr(lower(${text}), lower(${operand})) > 0`, String(c.value));
    case "starts_with":
      return holding(sql`instr(lower(${text}), lower(${operand})) = 1`, String(c.value));
    case "neq":
      return negate(compared("eq", c.value as Scalar));
    case "in": {
      // An attribute has one reading as the JSON type it has, and a text a second one as a number, a boolean or a
      // date. Both look up the same list of tagged values (`listKey`); the list is a bound parameter of its own in
      // each lookup, so SQLite builds its index once per statement rather than once per subscriber.
      const primary = sql`CASE WHEN ${type} IN ('integer', 'real') THEN ${value} WHEN ${type} IN ('true', 'false') THEN 'b:' || ${boolean} WHEN ${type} = 'text' THEN 's:' || ${value} END`;
      const secondary = sql`CASE WHEN ${type} = 'text' THEN coalesce(${numeric}, 'b:' || ${boolean}, 'd:' || ${instant}) END`;
      const list = JSON.stringify((c.value as Scalar[]).map(listKey));
      return holding(sql`${primary} IN (SELECT value FROM json_each(${list})) OR ${secondary} IN (SELECT value FROM json_each(${list}))`);
    }
    default:
      return compared(c.op as Ordering, c.value as Scalar);
  }
}

type Scalar = string | number | boolean;
type ValueKind = "number" | "boolean" | "date" | "string";

const kindOf = (v: Scalar): ValueKind =>
  typeof v === "number" ? "number" : typeof v === "boolean" ? "boolean" : instantOf(v) !== undefined ? "date" : "string";

/** An `in` list's value as the attribute lookup sees it: numbers as such, anything else tagged with its kind. */
function listKey(v: Scalar): number | string {
  const kind = kindOf(v);
  if (kind === "number") return v as number;
  if (kind === "boolean") return `b:${v ? 1 : 0}`;
  if (kind === "date") return `d:${instantOf(v as string)}`;
  return `s:${v}`;
}

/** What the SQL compares against: booleans as 1/0, dates as their instant in milliseconds. */
const boundOf = (v: Scalar) =>
  typeof v === "boolean" ? (v ? 1 : 0) : typeof v === "string" && instantOf(v) !== undefined ? instantOf(v) : v;

function columnCondition(c: FieldCondition): SQL {
  const column = c.field === "email_domain" ? emailDomain : sql`${subscribers[c.field as "email" | "name" | "status" | "created_at"]}`;
  const caseless = c.field === "email" || c.field === "email_domain";
  const lhs = caseless ? sql`lower(${column})` : column;
  const bound = (v: Scalar) => {
    if (c.field === "created_at") return new Date(instantOf(v as string) as number).toISOString();
    return caseless ? (v as string).toLowerCase() : v;
  };
  // Only name can be NULL; a condition is always true or false, so that `not` negates it.
  const total = (condition: SQL) => (c.field === "name" ? sql`coalesce(${condition}, 0)` : condition);
  switch (c.op) {
    case "exists":
      return c.value === false ? sql`${column} IS NULL` : sql`${column} IS NOT NULL`;
    case "contains":
      return total(sql`instr(lower(${column}), lower(${String(c.value)})) > 0`);
    case "starts_with":
      return total(sql`instr(lower(${column}), lower(${String(c.value)})) = 1`);
    case "neq":
      return negate(total(sql`${lhs} = ${bound(c.value as Scalar)}`));
    case "in":
      return total(sql`${lhs} IN (SELECT value FROM json_each(${JSON.stringify((c.value as Scalar[]).map(bound))}))`);
    default:
      return total(sql`${lhs} ${comparators[c.op as Ordering]} ${bound(c.value as Scalar)}`);
  }
}

const negate = (condition: SQL) => sql`NOT (${condition})`;

const fieldCondition = (c: FieldCondition) =>
  c.field.startsWith("attributes.") ? attributeCondition(c.field.slice(11), c) : columnCondition(c);

/** `a AND b AND c …` nests left-deep in SQLite's expression tree; a balanced tree keeps wide groups shallow. */
function balanced(parts: SQL[], join: (a: SQL, b: SQL) => SQL): SQL {
  if (parts.length === 1) return parts[0];
  const middle = Math.ceil(parts.length / 2);
  return join(balanced(parts.slice(0, middle), join), balanced(parts.slice(middle), join));
}

export interface FilterScope {
  workspaceId: string;
  now: Date;
}

export function compileFilter(filter: AudienceFilter, scope: FilterScope): SQL {
  if ("and" in filter)
    return balanced(
      filter.and.map((f) => compileFilter(f, scope)),
      (a, b) => sql`(${a} AND ${b})`,
    );
  if ("or" in filter)
    return balanced(
      filter.or.map((f) => compileFilter(f, scope)),
      (a, b) => sql`(${a} OR ${b})`,
    );
  if ("not" in filter) return negate(compileFilter(filter.not, scope));
  if ("list" in filter) {
    const member = sql`EXISTS (SELECT 1 FROM list_memberships m WHERE m.subscriber_id = ${subscribers.id} AND m.list_id = ${filter.list.list_id})`;
    return filter.list.op === "member" ? member : negate(member);
  }
  if ("engagement" in filter) {
    const { op, within_days } = filter.engagement;
    const since = engagementSince(scope.now, within_days);
    // The event type comes from the op, never from the client, so it is SQL text rather than a bound parameter.
    const type = sql.raw(`'${engagementEventType(op)}'`);
    const engaged = sql`EXISTS (SELECT 1 FROM tracking_events e WHERE e.workspace_id = ${scope.workspaceId} AND e.subscriber_id = ${subscribers.id} AND e.event_type = ${type} AND e.occurred_at >= ${since})`;
    return op.startsWith("not_") ? negate(engaged) : engaged;
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

export interface ListReference {
  list_id: string;
  /** Where the id sits in the request body, e.g. `audience_filters.and.1.list.list_id`. */
  path: string;
}

/** The lists a filter's membership conditions name, with their paths under `pathPrefix`. */
export function listReferences(filter: AudienceFilter, pathPrefix: string): ListReference[] {
  if ("and" in filter) return filter.and.flatMap((f, i) => listReferences(f, `${pathPrefix}.and.${i}`));
  if ("or" in filter) return filter.or.flatMap((f, i) => listReferences(f, `${pathPrefix}.or.${i}`));
  if ("not" in filter) return listReferences(filter.not, `${pathPrefix}.not`);
  if ("list" in filter) return [{ list_id: filter.list.list_id, path: `${pathPrefix}.list.list_id` }];
  return [];
}

/** A 422 naming every reference to a list that is not the workspace's, so that a typo never silently matches nobody. */
export async function assertListReferences(db: Database, workspaceId: string, references: ListReference[]): Promise<void> {
  if (references.length === 0) return;
  const ids = [...new Set(references.map((r) => r.list_id))];
  const found = await db
    .select({ id: subscriberLists.id })
    .from(subscriberLists)
    .where(
      and(
        eq(subscriberLists.workspace_id, workspaceId),
        sql`${subscriberLists.id} IN (SELECT value FROM json_each(${JSON.stringify(ids)}))`,
      ),
    );
  const known = new Set(found.map((l) => l.id));
  const errors = references
    .filter((r) => !known.has(r.list_id))
    .map((r) => ({ location: "body" as const, path: r.path, message: `no list ${r.list_id} in this workspace` }));
  if (errors.length > 0) throw invalidFields(errors.map((e) => `${e.path}: ${e.message}`).join("; "), errors);
}

/** For every body that carries a filter (the audience preview, campaigns): its list references must exist. */
export const assertFilterReferences = (db: Database, workspaceId: string, filter: AudienceFilter, pathPrefix: string) =>
  assertListReferences(db, workspaceId, listReferences(filter, pathPrefix));
