import { and, asc, eq, gte, inArray, or, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import {
  type AutomationActionResult,
  automationEvents,
  automationRuleRuns,
  automationRules,
  listMemberships,
  type Subscriber,
  type Suppression,
  subscribers,
  trackingEvents,
} from "../../db/schema";
import { chunk, rowsPerInsert } from "../../lib/chunk";
import { randomBase62 } from "../../lib/crypto";
import { newId } from "../../lib/ids";
import { inJsonList } from "../../lib/sql-lists";
import type { FilterMatchContext, MatchableSubscriber } from "../audience/filter-match";
import { engagementSince } from "../audience/filter-match";
import { suppressionsFor } from "../audience/suppressions";
import type { TriggerDeps } from "../campaigns/trigger";
import { type BatchedTrigger, triggerSends } from "../campaigns/trigger-batch";
import { reachMilestone } from "../onboarding/milestones";
import { recorded, ruleSendKey, runAction, sendContext, sendResult } from "./actions";
import type { QueuedEvent } from "./events";
import { conditionNeeds, conditionsHold } from "./rule-conditions";
import { type AutomationRule, RELEASE_TRIGGER } from "./rules";

/** The built-in rule: this event with `properties.milestone` marks the milestone reached and wakes flows waiting on it. */
export const MILESTONE_EVENT = "user.milestone_reached";
/** Events worked on at once in a batch; one user's events always one after another, in the order they came. */
const EVENT_CONCURRENCY = 8;

export interface ReceivedEvent {
  event: QueuedEvent;
  received_at: string;
}

type RuleRun = typeof automationRuleRuns.$inferInsert;

/** What became of each event of the batch: processed (or a duplicate), or an error to try it again for. */
export type EventOutcomes = Map<string, { error: unknown } | { done: true }>;

/** A subscriber as this batch leaves it: the row read, with the event's changes applied. */
interface SubscriberState {
  row: Subscriber;
  created: boolean;
  changed: boolean;
}

const isStatement = <T>(value: T | undefined): value is T => value !== undefined;

/**
 * Subscribers for the events, found by `user.id` (external_id) first, else by address; attributes merged in event
 * order, name set when given, external_id recorded when the subscriber had none. An address on the suppression
 * list that is no subscriber yet is not made one (as a triggered send does not make one).
 */
function resolveSubscribers(
  workspaceId: string,
  events: QueuedEvent[],
  existing: Subscriber[],
  suppressed: ReadonlySet<string>,
  now: string,
): Map<string, SubscriberState | null> {
  const byExternal = new Map<string, SubscriberState>();
  const byEmail = new Map<string, SubscriberState>();
  const remember = (state: SubscriberState) => {
    byEmail.set(state.row.email, state);
    if (state.row.external_id) byExternal.set(state.row.external_id, state);
  };
  for (const row of existing) remember({ row, created: false, changed: false });

  const forEvent = new Map<string, SubscriberState | null>();
  for (const event of events) {
    const { user } = event;
    let state = (user.id ? byExternal.get(user.id) : undefined) ?? byEmail.get(user.email);
    if (!state) {
      if (suppressed.has(user.email)) {
        forEvent.set(event.id, null);
        continue;
      }
      state = {
        row: {
          id: newId("sub"),
          workspace_id: workspaceId,
          email: user.email,
          name: user.name ?? null,
          status: "active",
          preference_token: randomBase62(24),
          attributes: {},
          external_id: user.id ?? null,
          frequency: "immediate",
          unsubscribed_at: null,
          unsubscribe_source: null,
          bounced_at: null,
          complained_at: null,
          created_at: now,
          updated_at: now,
        },
        created: true,
        changed: true,
      };
    }
    const row = state.row;
    if (user.attributes && Object.keys(user.attributes).length > 0) {
      row.attributes = { ...row.attributes, ...user.attributes };
      state.changed = true;
    }
    if (user.name !== undefined && user.name !== row.name) {
      row.name = user.name;
      state.changed = true;
    }
    if (user.id && row.external_id === null && !byExternal.has(user.id)) {
      row.external_id = user.id;
      state.changed = true;
    }
    if (user.email !== row.email && !byEmail.has(user.email) && !suppressed.has(user.email)) {
      byEmail.delete(row.email);
      row.email = user.email;
      state.changed = true;
    }
    remember(state);
    forEvent.set(event.id, state);
  }
  return forEvent;
}

const matchable = (event: QueuedEvent, state: SubscriberState | null): MatchableSubscriber =>
  state
    ? state.row
    : {
        email: event.user.email,
        name: event.user.name ?? null,
        status: "suppressed",
        created_at: event.occurred_at,
        attributes: event.user.attributes ?? {},
      };

/** A rule run whose action results are complete once the batch's sends are made. */
interface PendingRun {
  run: Omit<RuleRun, "outcome" | "reason" | "actions">;
  results: AutomationActionResult[];
}

interface DeferredSend {
  campaignId: string;
  send: BatchedTrigger;
  run: PendingRun;
  /** The index of this send's result in `run.results`. */
  slot: number;
}

/** An event whose address is on the suppression list (so no subscriber): the send is recorded as skipped for it. */
function suppressedTarget(event: QueuedEvent, suppressed: Map<string, Suppression>): BatchedTrigger["target"] | null {
  const suppression = suppressed.get(event.user.email);
  return suppression ? { email: event.user.email, name: event.user.name ?? null, suppression } : null;
}

/**
 * The batch's triggered sends, a `triggerSends` per campaign: one decision read and one write for all of a
 * campaign's sends, and one queue call. Fills each run's slot; returns the events whose send failed for a reason
 * the run does not record (D1 unavailable), to be tried again.
 */
async function sendTogether(deps: TriggerDeps, workspaceId: string, deferred: DeferredSend[], now: Date): Promise<Map<string, unknown>> {
  const failures = new Map<string, unknown>();
  const byCampaign = new Map<string, DeferredSend[]>();
  for (const d of deferred) byCampaign.set(d.campaignId, [...(byCampaign.get(d.campaignId) ?? []), d]);
  for (const [campaignId, group] of byCampaign) {
    const outcomes = await triggerSends(
      deps,
      workspaceId,
      campaignId,
      group.map((d) => d.send),
      now,
    );
    group.forEach((d, i) => {
      const outcome = outcomes[i];
      if ("recipient" in outcome) {
        d.run.results[d.slot] = sendResult(outcome.recipient);
        return;
      }
      try {
        d.run.results[d.slot] = recorded("send_campaign", outcome.error);
      } catch (error) {
        failures.set(d.run.run.event_id, error);
      }
    });
  }
  return failures;
}

/** Runs `work` over the groups, `limit` groups at a time; each group's items one after another. */
async function inGroups<T>(groups: T[][], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < groups.length) {
      const group = groups[next++];
      for (const item of group) await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, groups.length) }, worker));
}

function runOutcome(results: AutomationActionResult[]): Pick<RuleRun, "outcome" | "reason"> {
  if (results.some((r) => r.outcome === "failed")) {
    return { outcome: "failed", reason: results.flatMap((r) => (r.outcome === "failed" && r.reason ? [r.reason] : [])).join("; ") };
  }
  if (results.some((r) => r.outcome === "done")) return { outcome: "fired", reason: null };
  return { outcome: "skipped", reason: results.flatMap((r) => (r.reason ? [r.reason] : [])).join("; ") || "every action was skipped" };
}

/**
 * Processes one workspace's events of a queue batch. Reads are few and shared by the batch: one D1 batch stores
 * the events (a duplicate id is stored once) and reads their state, the subscribers, the workspace's active rules for
 * these event types and any runs a previous delivery already recorded; one writes the subscribers; one records the
 * runs and marks the events processed. Only the actions themselves touch D1 per event.
 *
 * An event already processed is a duplicate and does nothing. An event stored but not processed (its delivery failed
 * midway) is processed again, skipping the rules that already have a run for it; sends are idempotent on
 * `rule:<rule id>:<event id>`, so a retried action does not send twice either.
 */
export async function processEvents(deps: TriggerDeps, workspaceId: string, received: ReceivedEvent[], now: Date): Promise<EventOutcomes> {
  const { db } = deps;
  const at = now.toISOString();
  const outcomes: EventOutcomes = new Map();
  const unique = new Map<string, ReceivedEvent>();
  for (const r of received) if (!unique.has(r.event.id)) unique.set(r.event.id, r);
  const events = [...unique.values()].map((r) => r.event);
  const ids = events.map((e) => e.id);
  const types = [...new Set(events.map((e) => e.type))];
  const emails = [...new Set(events.map((e) => e.user.email))];
  const externalIds = [...new Set(events.flatMap((e) => (e.user.id ? [e.user.id] : [])))];

  const rows = [...unique.values()].map(({ event, received_at }) => ({
    workspace_id: workspaceId,
    id: event.id,
    type: event.type,
    occurred_at: event.occurred_at,
    user: event.user,
    properties: event.properties,
    received_at,
  }));
  const activeRules = and(
    eq(automationRules.workspace_id, workspaceId),
    eq(automationRules.is_active, true),
    inJsonList(automationRules.trigger, types),
  );
  const inserts = chunk(rows, rowsPerInsert(11)).map((part) => db.insert(automationEvents).values(part).onConflictDoNothing());
  const [written, suppressedRows] = await Promise.all([
    db.batch([
      ...(inserts as [(typeof inserts)[number]]),
      db
        .select({ id: automationEvents.id, status: automationEvents.status })
        .from(automationEvents)
        .where(and(eq(automationEvents.workspace_id, workspaceId), inJsonList(automationEvents.id, ids))),
      db
        .select()
        .from(subscribers)
        .where(
          and(
            eq(subscribers.workspace_id, workspaceId),
            externalIds.length > 0
              ? or(inJsonList(subscribers.email, emails), inJsonList(subscribers.external_id, externalIds))
              : inJsonList(subscribers.email, emails),
          ),
        ),
      db.select().from(automationRules).where(activeRules).orderBy(asc(automationRules.id)),
      db
        .select({ rule_id: automationRuleRuns.rule_id, event_id: automationRuleRuns.event_id })
        .from(automationRuleRuns)
        .where(
          and(
            inArray(automationRuleRuns.rule_id, db.select({ id: automationRules.id }).from(automationRules).where(activeRules)),
            inJsonList(automationRuleRuns.event_id, ids),
          ),
        ),
    ]),
    // Read beside the batch rather than after it: only addresses that are no subscriber yet need it, but waiting to
    // know which would cost a round trip.
    suppressionsFor(db, workspaceId, emails),
  ]);
  const [states, existingSubscribers, rules, earlierRuns] = written.slice(inserts.length) as [
    { id: string; status: string }[],
    Subscriber[],
    AutomationRule[],
    { rule_id: string; event_id: string }[],
  ];
  const pending = new Set(states.filter((s) => s.status === "received").map((s) => s.id));
  for (const id of ids) if (!pending.has(id)) outcomes.set(id, { done: true });
  const toProcess = events.filter((e) => pending.has(e.id));
  if (toProcess.length === 0) return outcomes;

  const subscriberFor = resolveSubscribers(workspaceId, toProcess, existingSubscribers, new Set(suppressedRows.keys()), at);
  const touched = [...new Set([...subscriberFor.values()].filter(isStatement).filter((s) => s !== null))] as SubscriberState[];
  const subscriberWrites = touched
    .filter((s) => s.changed)
    .map((s) =>
      s.created
        ? db.insert(subscribers).values(s.row).onConflictDoNothing()
        : db
            .update(subscribers)
            .set({ attributes: s.row.attributes, name: s.row.name, external_id: s.row.external_id, email: s.row.email, updated_at: at })
            .where(eq(subscribers.id, s.row.id)),
    );

  const rulesByType = new Map<string, AutomationRule[]>();
  for (const rule of rules) rulesByType.set(rule.trigger, [...(rulesByType.get(rule.trigger) ?? []), rule]);
  const needs = rules.map((r) => conditionNeeds(r.conditions));
  const subscriberIds = touched.map((s) => s.row.id);
  const engagementDays = Math.max(0, ...needs.map((n) => n.engagementDays));
  const contextReads = [
    needs.some((n) => n.lists) && subscriberIds.length > 0
      ? db
          .select({ subscriber_id: listMemberships.subscriber_id, list_id: listMemberships.list_id })
          .from(listMemberships)
          .where(inJsonList(listMemberships.subscriber_id, subscriberIds))
      : undefined,
    engagementDays > 0 && subscriberIds.length > 0
      ? db
          .select({
            subscriber_id: trackingEvents.subscriber_id,
            event_type: trackingEvents.event_type,
            occurred_at: trackingEvents.occurred_at,
          })
          .from(trackingEvents)
          .where(
            and(
              eq(trackingEvents.workspace_id, workspaceId),
              inJsonList(trackingEvents.subscriber_id, subscriberIds),
              inArray(trackingEvents.event_type, ["open", "click"]),
              gte(trackingEvents.occurred_at, engagementSince(now, engagementDays)),
            ),
          )
      : undefined,
  ];
  const createdIds = touched.filter((s) => s.created).map((s) => s.row.id);
  const createdCheck =
    createdIds.length > 0 ? db.select({ id: subscribers.id }).from(subscribers).where(inJsonList(subscribers.id, createdIds)) : undefined;
  const statements = [...subscriberWrites, createdCheck, ...contextReads].filter(isStatement) as BatchItem<"sqlite">[];
  const [first, ...rest] = statements;
  const results = first ? await db.batch([first, ...rest]) : [];
  const reads = results.slice(subscriberWrites.length) as unknown[][];
  // A subscriber another delivery created a moment before ours was not written: its events are tried again, and then
  // find it and merge into it.
  const created = new Set(createdCheck ? (reads.shift() as { id: string }[]).map((r) => r.id) : []);
  const lostRace = new Set(touched.filter((s) => s.created && !created.has(s.row.id)));
  const [memberships, engagement] = contextReads.map((read) => (read ? (reads.shift() as Record<string, string>[]) : []));
  const listsOf = new Map<string, Set<string>>();
  for (const m of memberships) listsOf.set(m.subscriber_id, (listsOf.get(m.subscriber_id) ?? new Set()).add(m.list_id));
  const engagementOf = new Map<string, { event_type: string; occurred_at: string }[]>();
  for (const e of engagement) engagementOf.set(e.subscriber_id, [...(engagementOf.get(e.subscriber_id) ?? []), e as never]);

  const alreadyRun = new Set(earlierRuns.map((r) => `${r.rule_id} ${r.event_id}`));
  const runs: RuleRun[] = [];
  const pendingRuns: PendingRun[] = [];
  const deferred: DeferredSend[] = [];
  const processed: { id: string; subscriber_id: string | null }[] = [];
  const failed: { id: string; error: string }[] = [];

  const handle = async (event: QueuedEvent) => {
    const state = subscriberFor.get(event.id) ?? null;
    const subscriberId = state?.row.id ?? null;
    try {
      if (state && lostRace.has(state))
        throw new Error(`the subscriber ${event.user.email} was created by another delivery at the same time`);
      if (event.type === MILESTONE_EVENT && subscriberId && typeof event.properties.milestone === "string") {
        await reachMilestone(deps, workspaceId, subscriberId, event.properties.milestone, now);
      }
      const context: FilterMatchContext = {
        now,
        listIds: (subscriberId && listsOf.get(subscriberId)) || new Set(),
        events: (subscriberId && engagementOf.get(subscriberId)) || [],
      };
      for (const rule of rulesByType.get(event.type) ?? []) {
        if (alreadyRun.has(`${rule.id} ${event.id}`)) continue;
        const run = {
          id: newId("arun"),
          workspace_id: workspaceId,
          rule_id: rule.id,
          event_id: event.id,
          event_type: event.type,
          subscriber_id: subscriberId,
          created_at: at,
        };
        if (!conditionsHold(rule.conditions, matchable(event, state), event, context)) {
          runs.push({ ...run, outcome: "skipped", reason: "the conditions did not hold", actions: [] });
          continue;
        }
        const pendingRun: PendingRun = { run, results: [] };
        for (const action of rule.actions) {
          // A rule's triggered sends are made together after the events (see sendTogether); their slots wait here.
          if (action.action === "send_campaign" && rule.trigger !== RELEASE_TRIGGER) {
            const target = state ? { subscriber: state.row } : suppressedTarget(event, suppressedRows);
            if (target) {
              pendingRun.results.push({ action: "send_campaign", outcome: "skipped" });
              deferred.push({
                campaignId: action.campaign_id,
                send: { target, context: sendContext(event), idempotencyKey: ruleSendKey(rule.id, event.id) },
                run: pendingRun,
                slot: pendingRun.results.length - 1,
              });
              continue;
            }
          }
          pendingRun.results.push(await runAction(deps, { workspaceId, rule, event, subscriberId }, action, now));
        }
        pendingRuns.push(pendingRun);
      }
      processed.push({ id: event.id, subscriber_id: subscriberId });
      outcomes.set(event.id, { done: true });
    } catch (error) {
      failed.push({ id: event.id, error: error instanceof Error ? error.message : String(error) });
      outcomes.set(event.id, { error });
    }
  };
  const byUser = new Map<string, QueuedEvent[]>();
  for (const event of toProcess) {
    const key = subscriberFor.get(event.id)?.row.id ?? event.user.email;
    byUser.set(key, [...(byUser.get(key) ?? []), event]);
  }
  await inGroups([...byUser.values()], EVENT_CONCURRENCY, handle);

  const sendFailures = await sendTogether(deps, workspaceId, deferred, now);
  for (const [eventId, error] of sendFailures) {
    const at = processed.findIndex((p) => p.id === eventId);
    if (at >= 0) processed.splice(at, 1);
    failed.push({ id: eventId, error: error instanceof Error ? error.message : String(error) });
    outcomes.set(eventId, { error });
  }
  for (const { run, results } of pendingRuns) {
    if (!sendFailures.has(run.event_id)) runs.push({ ...run, ...runOutcome(results), actions: results });
  }

  const fired = new Map<string, number>();
  for (const run of runs) if (run.outcome !== "skipped") fired.set(run.rule_id, (fired.get(run.rule_id) ?? 0) + 1);
  const finalWrites = [
    ...chunk(runs, rowsPerInsert(10)).map((part) =>
      db
        .insert(automationRuleRuns)
        .values(part)
        .onConflictDoNothing({ target: [automationRuleRuns.rule_id, automationRuleRuns.event_id] }),
    ),
    ...[...fired].map(([ruleId, count]) =>
      db
        .update(automationRules)
        .set({ trigger_count: sql`${automationRules.trigger_count} + ${count}`, last_triggered_at: at })
        .where(eq(automationRules.id, ruleId)),
    ),
    processed.length > 0
      ? db
          .update(automationEvents)
          .set({
            status: "processed",
            processed_at: at,
            error: null,
            subscriber_id: sql`(select value from json_each(${JSON.stringify(Object.fromEntries(processed.map((p) => [p.id, p.subscriber_id])))}) where key = ${automationEvents.id})`,
          })
          .where(
            and(
              eq(automationEvents.workspace_id, workspaceId),
              inJsonList(
                automationEvents.id,
                processed.map((p) => p.id),
              ),
            ),
          )
      : undefined,
    ...failed.map((f) =>
      db
        .update(automationEvents)
        .set({ error: f.error.slice(0, 1000) })
        .where(and(eq(automationEvents.workspace_id, workspaceId), eq(automationEvents.id, f.id))),
    ),
  ].filter(isStatement) as BatchItem<"sqlite">[];
  const [firstWrite, ...restWrites] = finalWrites;
  if (firstWrite) await db.batch([firstWrite, ...restWrites]);
  return outcomes;
}
