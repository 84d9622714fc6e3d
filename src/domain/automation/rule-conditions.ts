import { z } from "@hono/zod-openapi";
import { type FilterMatchContext, type MatchableSubscriber, matchesFilter } from "../audience/filter-match";
import {
  type AudienceFilter,
  AudienceFilterSchema,
  type FieldCondition,
  type ListReference,
  listReferences,
  MAX_FILTER_DEPTH,
} from "../audience/segments";

/**
 * A rule's conditions: the audience filter language over the user (their subscriber), plus two event fields:
 * `event.type` and `event.properties.<key>`. An event field takes every op and value an attribute takes and
 * compares the same way, so the audience schema validates it once it is read as an attribute.
 */
export type RuleConditions = AudienceFilter;

const EVENT_TYPE_FIELD = "event.type";
const EVENT_PROPERTY_FIELD = /^event\.properties\.([A-Za-z0-9_-]{1,64})$/;

const isLeaf = (node: unknown): node is { field: unknown } =>
  typeof node === "object" && node !== null && !Array.isArray(node) && "field" in node;

/** The key an event field is matched under when read as an attribute, or undefined for a field of the user. */
function eventKey(field: unknown): string | undefined {
  if (field === EVENT_TYPE_FIELD) return "type";
  return typeof field === "string" ? EVENT_PROPERTY_FIELD.exec(field)?.[1] : undefined;
}

/**
 * The raw conditions with each event field renamed to an attribute, for validation only. Groups deeper than the
 * language allows are left as they are: the audience schema refuses them without walking them.
 */
function asUserFilter(node: unknown, depth = 0): unknown {
  if (typeof node !== "object" || node === null || Array.isArray(node) || depth > MAX_FILTER_DEPTH + 1) return node;
  if (isLeaf(node)) {
    const key = eventKey(node.field);
    return key === undefined ? node : { ...node, field: `attributes.${key}` };
  }
  const out: Record<string, unknown> = { ...node };
  for (const group of ["and", "or"] as const) {
    const children = out[group];
    if (Array.isArray(children)) out[group] = children.map((child) => asUserFilter(child, depth + 1));
  }
  if ("not" in out) out.not = asUserFilter(out.not, depth + 1);
  return out;
}

export const RuleConditionsSchema = z
  .unknown()
  .transform((value, ctx): RuleConditions | null => {
    if (value === null) return null;
    const parsed = AudienceFilterSchema.safeParse(asUserFilter(value));
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const message =
          issue.path.at(-1) === "field"
            ? "must be email, email_domain, name, status, created_at, attributes.<key>, event.type or event.properties.<key>"
            : issue.message;
        ctx.addIssue({ code: "custom", path: issue.path as (string | number)[], message });
      }
      return z.NEVER;
    }
    return value as RuleConditions;
  })
  .openapi({
    type: ["object", "null"],
    description:
      "Null or absent: always. Else the audience filter language (see AudienceFilter) over the user's subscriber, plus the event's fields `event.type` and `event.properties.<key>`, which compare as attributes do.",
    example: {
      and: [
        { field: "attributes.plan", op: "eq", value: "pro" },
        { field: "event.properties.source", op: "eq", value: "github" },
      ],
    },
  });

/** The lists the conditions name, with their paths under `pathPrefix`. */
export const conditionListReferences = (conditions: RuleConditions, pathPrefix: string): ListReference[] =>
  listReferences(conditions, pathPrefix);

export interface ConditionNeeds {
  lists: boolean;
  /** The widest engagement window the conditions look back over, in days; 0 when they look at none. */
  engagementDays: number;
}

/** What must be loaded besides the subscriber and the event to evaluate the conditions. */
export function conditionNeeds(conditions: RuleConditions | null): ConditionNeeds {
  const needs: ConditionNeeds = { lists: false, engagementDays: 0 };
  const visit = (f: AudienceFilter) => {
    if ("and" in f) f.and.forEach(visit);
    else if ("or" in f) f.or.forEach(visit);
    else if ("not" in f) visit(f.not);
    else if ("list" in f) needs.lists = true;
    else if ("engagement" in f) needs.engagementDays = Math.max(needs.engagementDays, f.engagement.within_days);
  };
  if (conditions) visit(conditions);
  return needs;
}

export interface ConditionEvent {
  type: string;
  properties: Record<string, unknown>;
}

const asSubject = (attributes: Record<string, unknown>): MatchableSubscriber => ({
  email: "",
  name: null,
  status: "",
  created_at: "",
  attributes,
});

/** Whether the conditions hold for this user and event; no conditions always hold. */
export function conditionsHold(
  conditions: RuleConditions | null,
  user: MatchableSubscriber,
  event: ConditionEvent,
  context: FilterMatchContext,
): boolean {
  if (!conditions) return true;
  const typeSubject = asSubject({ type: event.type });
  const propertiesSubject = asSubject(event.properties);
  const holds = (f: AudienceFilter): boolean => {
    if ("and" in f) return f.and.every(holds);
    if ("or" in f) return f.or.some(holds);
    if ("not" in f) return !holds(f.not);
    if ("field" in f) {
      const key = eventKey(f.field);
      if (key !== undefined) {
        const asAttribute: FieldCondition = { ...f, field: `attributes.${key}` };
        return matchesFilter(asAttribute, f.field === EVENT_TYPE_FIELD ? typeSubject : propertiesSubject, context);
      }
    }
    return matchesFilter(f, user, context);
  };
  return holds(conditions);
}
