import { z } from "@hono/zod-openapi";
import { and, asc, eq, inArray, isNull, or } from "drizzle-orm";
import type { Database } from "../../db/client";
import { dedicatedIps, sendingDomains, type WarmingStep, warmingSchedules } from "../../db/schema";
import { chunk, D1_MAX_BOUND_PARAMETERS } from "../../lib/chunk";
import { newId } from "../../lib/ids";
import { firstFreeSlug, SLUG_MESSAGE, SLUG_PATTERN, slugify } from "../../lib/slug";
import { conflict, invalidFields, notFound } from "../errors";
import { TARGET_TYPES, targetTable } from "./targets";

export type { WarmingStep };

/**
 * The spec's three schedules, stored by migration 0003 as global rows (no workspace) with fixed ids
 * `wsc_<slug>`. Their steps are the spec's anchors; the days between are interpolated like any custom schedule:
 *
 * - conservative, 21 days: day 1 = 50, day 7 = 1,000, day 14 = 15,000, day 21 = 100,000
 * - moderate, 14 days: day 1 = 100, day 7 = 7,500, day 14 = 100,000
 * - aggressive, 7 days: the spec's table lists 200, 15,000 and 100,000 under its day 1, 7 and 14 columns, but
 *   the schedule lasts 7 days. The three values are read as its start, middle and end: day 1 = 200,
 *   day 4 = 15,000, day 7 = 100,000.
 */
export const BUILTIN_SCHEDULE_SLUGS = ["conservative", "moderate", "aggressive"] as const;

/** A year: a ramp that needs longer is not a warming schedule. */
export const MAX_SCHEDULE_DAYS = 365;
export const MAX_DAILY_VOLUME = 10_000_000;

const WarmingStepSchema = z
  .object({
    day: z.number().int().min(1).max(MAX_SCHEDULE_DAYS).openapi({ example: 7 }),
    volume: z.number().int().positive().max(MAX_DAILY_VOLUME).openapi({ example: 1000 }),
  })
  .strict();

export const WarmingStepsSchema = z
  .array(WarmingStepSchema)
  .min(1)
  .max(MAX_SCHEDULE_DAYS)
  .superRefine((steps, ctx) => {
    if (steps[0] && steps[0].day !== 1) ctx.addIssue({ code: "custom", path: [0, "day"], message: "the first step is day 1" });
    for (let i = 1; i < steps.length; i++) {
      const [previous, step] = [steps[i - 1], steps[i]];
      if (!(step.day > previous.day)) {
        ctx.addIssue({ code: "custom", path: [i, "day"], message: `must come after day ${previous.day} of the step before` });
      }
      if (!(step.volume >= previous.volume)) {
        ctx.addIssue({
          code: "custom",
          path: [i, "volume"],
          message: `must be at least ${previous.volume}, the volume of the step before`,
        });
      }
    }
  })
  .openapi({
    description:
      "Per-day sending caps: days strictly increasing from 1, volumes non-decreasing. Days between two steps ramp geometrically.",
    example: [
      { day: 1, volume: 50 },
      { day: 7, volume: 1000 },
      { day: 14, volume: 15000 },
    ],
  });

export const CreateWarmingScheduleSchema = z
  .object({
    name: z.string().trim().min(1).max(100).openapi({ example: "Slow and steady" }),
    slug: z.string().regex(SLUG_PATTERN, SLUG_MESSAGE).optional().openapi({ example: "slow-and-steady" }),
    description: z.string().trim().max(500).nullable().optional(),
    steps: WarmingStepsSchema,
  })
  .strict()
  .openapi("CreateWarmingSchedule");

export type CreateWarmingScheduleInput = z.infer<typeof CreateWarmingScheduleSchema>;

export interface ScheduleView {
  id: string;
  slug: string;
  name: string;
  description: string | null;
  is_builtin: boolean;
  steps: WarmingStep[];
  duration_days: number;
  /** The cap of each day, index 0 = day 1, with the days between steps interpolated. */
  daily_volumes: number[];
  created_at: string;
  updated_at: string;
}

/**
 * Geometric, because a warming ramp multiplies: from 50 to 1,000 over six days is ×1.65 a day, where a straight
 * line would jump from 50 to 208 on day 2 (×4) and crawl by 17 % at the end.
 */
function interpolate(from: WarmingStep, to: WarmingStep, day: number): number {
  return Math.round(from.volume * (to.volume / from.volume) ** ((day - from.day) / (to.day - from.day)));
}

/** The cap of one day of the schedule; null after its last day, when warming is complete. */
export function volumeForDay(steps: readonly WarmingStep[], day: number): number | null {
  if (!Number.isInteger(day) || day < 1) throw new RangeError(`a warming day is an integer from 1, not ${day}`);
  const next = steps.findIndex((step) => step.day >= day);
  if (next === -1) return null;
  const step = steps[next];
  return step.day === day || next === 0 ? step.volume : interpolate(steps[next - 1], step, day);
}

export function dailyVolumes(steps: readonly WarmingStep[]): number[] {
  const days = steps.at(-1)?.day ?? 0;
  return Array.from({ length: days }, (_, i) => volumeForDay(steps, i + 1) as number);
}

type ScheduleRow = typeof warmingSchedules.$inferSelect;

function toView(row: ScheduleRow): ScheduleView {
  const volumes = dailyVolumes(row.steps);
  return {
    id: row.id,
    slug: row.slug,
    name: row.name,
    description: row.description,
    is_builtin: row.is_builtin,
    steps: row.steps,
    duration_days: volumes.length,
    daily_volumes: volumes,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

const visibleTo = (workspaceId: string) => or(isNull(warmingSchedules.workspace_id), eq(warmingSchedules.workspace_id, workspaceId));

const builtinRank = (slug: string) => BUILTIN_SCHEDULE_SLUGS.indexOf(slug as (typeof BUILTIN_SCHEDULE_SLUGS)[number]);

/** The built-ins in the spec's order (conservative first), then the workspace's own, oldest first. */
export async function listSchedules(db: Database, workspaceId: string): Promise<ScheduleView[]> {
  const rows = await db.select().from(warmingSchedules).where(visibleTo(workspaceId)).orderBy(asc(warmingSchedules.id)).limit(500);
  const builtins = rows.filter((r) => r.is_builtin).sort((a, b) => builtinRank(a.slug) - builtinRank(b.slug));
  return [...builtins, ...rows.filter((r) => !r.is_builtin)].map(toView);
}

const scheduleRow = (db: Database, workspaceId: string, idOrSlug: string): Promise<ScheduleRow | undefined> =>
  db
    .select()
    .from(warmingSchedules)
    .where(and(visibleTo(workspaceId), or(eq(warmingSchedules.id, idOrSlug), eq(warmingSchedules.slug, idOrSlug))))
    .orderBy(asc(warmingSchedules.is_builtin))
    .get();

/** A built-in or one of the workspace's own schedules, by id or slug. */
export async function findSchedule(db: Database, workspaceId: string, idOrSlug: string): Promise<ScheduleView | null> {
  const row = await scheduleRow(db, workspaceId, idOrSlug);
  return row ? toView(row) : null;
}

const isReserved = (slug: string) => builtinRank(slug) !== -1;

async function slugTaken(db: Database, workspaceId: string, slug: string): Promise<boolean> {
  if (isReserved(slug)) return true;
  const row = await db
    .select({ id: warmingSchedules.id })
    .from(warmingSchedules)
    .where(and(eq(warmingSchedules.workspace_id, workspaceId), eq(warmingSchedules.slug, slug)))
    .get();
  return row !== undefined;
}

/** The route validates too; this keeps a direct caller from storing steps the interpolation cannot read. */
function validate<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const errors = parsed.error.issues.map((issue) => ({
    location: "body" as const,
    path: issue.path.map(String).join("."),
    message: issue.message,
  }));
  throw invalidFields(`Invalid body: ${errors.map((e) => `${e.path}: ${e.message}`).join("; ")}`, errors);
}

/**
 * A requested slug must be free and may not be a built-in's, so that a slug names one schedule; a slug
 * derived from the name gets a numeric suffix until it is free.
 */
export async function createSchedule(
  db: Database,
  workspaceId: string,
  input: CreateWarmingScheduleInput,
  now: Date,
): Promise<ScheduleView> {
  const { name, slug: requested, description, steps } = validate(CreateWarmingScheduleSchema, input);
  if (requested && isReserved(requested)) throw conflict(`"${requested}" is the slug of a built-in schedule`);
  const slug = requested ?? (await firstFreeSlug(slugify(name, "schedule"), (s) => slugTaken(db, workspaceId, s)));
  const [created] = await db
    .insert(warmingSchedules)
    .values({
      id: newId("wsc", now.getTime()),
      workspace_id: workspaceId,
      slug,
      name,
      description: description ?? null,
      steps,
      is_builtin: false,
      created_at: now.toISOString(),
      updated_at: now.toISOString(),
    })
    .onConflictDoNothing()
    .returning();
  if (!created) throw conflict(`A warming schedule with slug "${slug}" already exists`);
  return toView(created);
}

export const UpdateWarmingScheduleSchema = CreateWarmingScheduleSchema.partial().strict().openapi("UpdateWarmingSchedule");

export type UpdateWarmingScheduleInput = z.infer<typeof UpdateWarmingScheduleSchema>;

/**
 * A workspace's own schedule by id or slug (as warming/start takes either), for a change: another workspace's is
 * not found, a built-in is read-only.
 */
async function ownSchedule(db: Database, workspaceId: string, idOrSlug: string): Promise<ScheduleRow> {
  const row = await scheduleRow(db, workspaceId, idOrSlug);
  if (!row) throw notFound("Warming schedule");
  if (row.is_builtin) throw conflict(`${row.slug} is a built-in schedule and cannot be changed or deleted: create your own instead`);
  return row;
}

/** Domains and IPs whose warming (running or paused) follows the schedule, as "type id" labels; at most 5. */
async function warmingOn(db: Database, scheduleId: string): Promise<string[]> {
  const labels: string[] = [];
  for (const type of TARGET_TYPES) {
    const t = targetTable(type);
    const rows = await db
      .select({ id: t.id })
      .from(t)
      .where(and(eq(t.warming_schedule_id, scheduleId), inArray(t.warming_status, ["warming", "paused"])))
      .limit(5);
    labels.push(...rows.map((r) => `${type === "domain" ? "sending domain" : "dedicated IP"} ${r.id}`));
  }
  return labels.slice(0, 5);
}

/**
 * Name, slug and description may always change. Steps may not while a domain or IP warms on the schedule (or is
 * paused on it): its caps would shift under it mid-ramp; start it again on a new schedule instead.
 */
export async function updateSchedule(
  db: Database,
  workspaceId: string,
  idOrSlug: string,
  input: UpdateWarmingScheduleInput,
  now: Date,
): Promise<ScheduleView> {
  const current = await ownSchedule(db, workspaceId, idOrSlug);
  const { id } = current;
  const changes = validate(UpdateWarmingScheduleSchema, input);
  if (changes.slug !== undefined && changes.slug !== current.slug && (await slugTaken(db, workspaceId, changes.slug))) {
    throw conflict(`A warming schedule with slug "${changes.slug}" already exists`);
  }
  if (changes.steps !== undefined) {
    const users = await warmingOn(db, id);
    if (users.length > 0) throw conflict(`The steps of ${current.slug} cannot change while it is used by ${users.join(", ")}`);
  }
  const set: Partial<typeof warmingSchedules.$inferInsert> = { updated_at: now.toISOString() };
  if (changes.name !== undefined) set.name = changes.name;
  if (changes.slug !== undefined) set.slug = changes.slug;
  if (changes.description !== undefined) set.description = changes.description;
  if (changes.steps !== undefined) set.steps = changes.steps;
  const [updated] = await db.update(warmingSchedules).set(set).where(eq(warmingSchedules.id, id)).returning();
  return toView(updated);
}

/**
 * Refused while a domain or IP warms on the schedule (or is paused on it). Targets that completed it forget
 * which schedule they followed; their warming is over.
 */
export async function deleteSchedule(db: Database, workspaceId: string, idOrSlug: string): Promise<void> {
  const current = await ownSchedule(db, workspaceId, idOrSlug);
  const { id } = current;
  const users = await warmingOn(db, id);
  if (users.length > 0) throw conflict(`${current.slug} is used by ${users.join(", ")}`);
  await db.batch([
    db.update(sendingDomains).set({ warming_schedule_id: null }).where(eq(sendingDomains.warming_schedule_id, id)),
    db.update(dedicatedIps).set({ warming_schedule_id: null }).where(eq(dedicatedIps.warming_schedule_id, id)),
    db.delete(warmingSchedules).where(eq(warmingSchedules.id, id)),
  ]);
}

/** Steps of the given schedules by id, for jobs that walk many targets. */
export async function stepsOf(db: Database, scheduleIds: readonly string[]): Promise<Map<string, WarmingStep[]>> {
  const steps = new Map<string, WarmingStep[]>();
  for (const part of chunk(scheduleIds, D1_MAX_BOUND_PARAMETERS)) {
    const rows = await db
      .select({ id: warmingSchedules.id, steps: warmingSchedules.steps })
      .from(warmingSchedules)
      .where(inArray(warmingSchedules.id, part));
    for (const row of rows) steps.set(row.id, row.steps);
  }
  return steps;
}
