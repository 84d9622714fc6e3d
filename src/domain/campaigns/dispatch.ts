import { and, asc, eq, inArray, isNull, lt, lte, or, sql } from "drizzle-orm";
import type { Database } from "../../db/client";
import { type CampaignRun, campaignRecipients, campaignRuns, type EmailCampaign, emailCampaigns, workspaces } from "../../db/schema";
import { chunk } from "../../lib/chunk";
import { inJsonList } from "../../lib/sql-lists";
import { addToCounters, recountRun } from "./counters";
import { completeFanout, fanOutPage } from "./fanout";
import { nextOccurrence } from "./schedule";
import type { SendEmailMessage } from "./send-message";
import { isWithinWindow, nextWindowOpen } from "./send-window";

/** What the dispatcher remembers between steps (in its Durable Object storage). */
export interface DispatchState {
  run_id: string;
  /** Last subscriber id walked by the fan-out. */
  cursor: string | null;
  /** Sends the rate allows that have not been enqueued yet (a token bucket). */
  tokens: number;
  refilled_at: number;
  enqueued: number;
}

export type DispatchPhase = "fanout" | "sending" | "waiting_for_window" | "paused" | "done";

export interface DispatchTimings {
  /** A recipient `pending` and enqueued this long ago, with no retry due, has lost its message: enqueue it again. */
  lostMessageAfterMs: number;
  /** A `sending` claim this old belongs to a consumer that died mid-send: the recipient becomes `unknown`. */
  claimTimeoutMs: number;
  /**
   * Audience pages one step walks before it enqueues and yields (the next alarm continues). Counted in pages, not
   * milliseconds: a Worker's clock does not advance while it waits on D1, and a time budget let one step walk a
   * whole 100,000-subscriber list before the first send was enqueued (seen in bench:campaign).
   */
  fanoutPagesPerStep: number;
}

export const DEFAULT_TIMINGS: DispatchTimings = {
  // Above the longest backoff the consumer asks for (15 min) plus a batch's wall time.
  lostMessageAfterMs: 20 * 60_000,
  // A queue consumer invocation is stopped after 15 minutes of wall time.
  claimTimeoutMs: 16 * 60_000,
  // 5,000 subscribers: each step's enqueue (up to MAX_ENQUEUE_PER_STEP) keeps pace with its walk, so sends start
  // after the first step, while fewer steps spend less on their fixed reads (2 pages per step took 10 s for
  // 100,000 in bench:campaign, 20 took 6 s).
  fanoutPagesPerStep: 10,
};

export interface DispatchDeps {
  db: Database;
  defaultRatePerMinute: number;
  enqueue(messages: SendEmailMessage[]): Promise<void>;
  timings?: DispatchTimings;
}

export interface DispatchStep {
  state: DispatchState;
  phase: DispatchPhase;
  /** When the next step should run; null when the run needs nothing more until something wakes it. */
  next_at: number | null;
}

/** Queue.sendBatch takes at most 100 messages per call. */
const ENQUEUE_CALL_SIZE = 100;
/**
 * Recipients one step enqueues at most, so a step's memory and statement sizes stay the same at any rate; a step
 * that fills it runs the next one at once instead of after a tick.
 */
export const MAX_ENQUEUE_PER_STEP = 5_000;
const TICK_MS = 1_000;
const IDLE_TICK_MS = 5_000;

export const initialDispatchState = (runId: string, now: number): DispatchState => ({
  run_id: runId,
  cursor: null,
  tokens: 0,
  refilled_at: now,
  enqueued: 0,
});

async function load(db: Database, runId: string) {
  // One round trip: the run, its campaign and its workspace's timezone are read at every step.
  const [[run], [campaign], [workspace]] = await db.batch([
    db.select().from(campaignRuns).where(eq(campaignRuns.id, runId)),
    db
      .select()
      .from(emailCampaigns)
      .where(sql`${emailCampaigns.id} = (select ${campaignRuns.campaign_id} from ${campaignRuns} where ${campaignRuns.id} = ${runId})`),
    db
      .select({ timezone: workspaces.timezone })
      .from(workspaces)
      .where(sql`${workspaces.id} = (select ${campaignRuns.workspace_id} from ${campaignRuns} where ${campaignRuns.id} = ${runId})`),
  ]);
  return run && campaign && workspace ? { run, campaign, timeZone: workspace.timezone } : null;
}

/**
 * One step of a run's dispatch: walk more of the audience, repair what was lost (messages dropped by the queue,
 * claims of consumers that died), enqueue what the rate and the send window allow, and finish the run once every
 * recipient is terminal. Every step reads its truth from D1, so a step that is killed part-way is simply
 * repeated by the next one.
 */
export async function dispatchStep(deps: DispatchDeps, state: DispatchState, nowMs: number): Promise<DispatchStep> {
  const timings = deps.timings ?? DEFAULT_TIMINGS;
  const loaded = await load(deps.db, state.run_id);
  if (!loaded) return { state, phase: "done", next_at: null };
  const { run, campaign, timeZone } = loaded;
  if (run.status === "sent" || run.status === "cancelled") return { state, phase: "done", next_at: null };
  if (run.status === "paused" || campaign.status !== "sending")
    return { state: { ...state, tokens: 0, refilled_at: nowMs }, phase: "paused", next_at: null };

  const now = new Date(nowMs);
  let next = { ...state };
  if (!run.fanout_completed_at) {
    let done = false;
    for (let pages = 0; !done && pages < timings.fanoutPagesPerStep; pages++) {
      const page = await fanOutPage(deps.db, campaign, run, timeZone, next.cursor, now);
      next.cursor = page.cursor;
      done = page.done;
      // Skipped subscribers count as failed at once, so a run's failures show while it is still walking.
      if (page.skipped > 0) {
        const [first, ...rest] = addToCounters(deps.db, campaign.id, run.id, { sent: 0, failed: page.skipped, unknown: 0 });
        await deps.db.batch([first, ...rest]);
      }
    }
    if (done) {
      await completeFanout(deps.db, run, now);
      run.fanout_completed_at = now.toISOString();
    }
  }

  await reconcile(deps.db, run.id, nowMs, timings);

  const rate = campaign.send_rate_per_minute ?? deps.defaultRatePerMinute;
  next = refill(next, rate, nowMs);
  const { enqueued, windowOpensAt } = await enqueueDue(deps, campaign, run, Math.min(MAX_ENQUEUE_PER_STEP, Math.floor(next.tokens)), now);
  next.tokens -= enqueued;
  next.enqueued += enqueued;

  if (run.fanout_completed_at && (await finishIfComplete(deps.db, campaign, run, now))) {
    return { state: next, phase: "done", next_at: null };
  }
  if (!run.fanout_completed_at) return { state: next, phase: "fanout", next_at: nowMs };
  const inFlight = await hasInFlight(deps.db, run.id);
  if (windowOpensAt !== null && !inFlight && enqueued === 0) {
    return { state: next, phase: "waiting_for_window", next_at: windowOpensAt };
  }
  if (enqueued === MAX_ENQUEUE_PER_STEP) return { state: next, phase: "sending", next_at: nowMs };
  // While sends are in flight the run may finish any moment: look again soon, so it shows `sent` within a tick.
  const busy = enqueued > 0 || next.tokens < 1 || (inFlight && (await hasInFlight(deps.db, run.id, now.toISOString())));
  return { state: next, phase: "sending", next_at: nowMs + (busy ? TICK_MS : IDLE_TICK_MS) };
}

/** The bucket holds at most five seconds of sends, so a dispatcher that slept does not burst past the rate. */
function refill(state: DispatchState, ratePerMinute: number, nowMs: number): DispatchState {
  const perMs = ratePerMinute / 60_000;
  const capacity = Math.max(1, ratePerMinute / 12);
  const tokens = Math.min(capacity, state.tokens + Math.max(0, nowMs - state.refilled_at) * perMs);
  return { ...state, tokens, refilled_at: nowMs };
}

/**
 * Finds recipients whose queue message is gone and makes them enqueueable again; turns `sending` claims older
 * than a consumer can live into `unknown` (the provider may have accepted them: they are never resent blindly).
 */
export async function reconcile(
  db: Database,
  runId: string,
  nowMs: number,
  timings: DispatchTimings,
): Promise<{ requeued: number; unknown: number }> {
  const lostBefore = new Date(nowMs - timings.lostMessageAfterMs).toISOString();
  const staleBefore = new Date(nowMs - timings.claimTimeoutMs).toISOString();
  const now = new Date(nowMs).toISOString();
  const [requeued, unknown] = await db.batch([
    db
      .update(campaignRecipients)
      .set({ enqueued_at: null, updated_at: now })
      .where(
        and(
          eq(campaignRecipients.run_id, runId),
          eq(campaignRecipients.status, "pending"),
          lt(campaignRecipients.enqueued_at, lostBefore),
          or(isNull(campaignRecipients.retry_at), lt(campaignRecipients.retry_at, lostBefore)),
        ),
      )
      .returning({ id: campaignRecipients.id }),
    db
      .update(campaignRecipients)
      .set({
        status: "unknown",
        failure_reason: "outcome_unknown",
        failure_detail: "the send was interrupted; the provider may or may not have accepted it, so it is not resent",
        claimed_at: null,
        updated_at: now,
      })
      .where(
        and(eq(campaignRecipients.run_id, runId), eq(campaignRecipients.status, "sending"), lt(campaignRecipients.claimed_at, staleBefore)),
      )
      .returning({ id: campaignRecipients.id }),
  ]);
  if (unknown.length > 0) console.warn(`run ${runId}: ${unknown.length} interrupted sends marked unknown`);
  return { requeued: requeued.length, unknown: unknown.length };
}

/** The run's send timezones that are inside the window now, and when the earliest closed one opens. */
async function openTimeZones(db: Database, campaign: EmailCampaign, runId: string, now: Date) {
  const window = campaign.send_window;
  if (!window) return { open: null, opensAt: null };
  const zones = await db
    .selectDistinct({ zone: campaignRecipients.send_timezone })
    .from(campaignRecipients)
    .where(and(eq(campaignRecipients.run_id, runId), eq(campaignRecipients.status, "pending"), isNull(campaignRecipients.enqueued_at)));
  const open: string[] = [];
  let opensAt: number | null = null;
  for (const { zone } of zones) {
    const timeZone = zone ?? window.timezone;
    if (isWithinWindow(window, timeZone, now)) open.push(timeZone);
    else {
      const at = nextWindowOpen(window, timeZone, now).getTime();
      opensAt = opensAt === null ? at : Math.min(opensAt, at);
    }
  }
  return { open, opensAt };
}

/**
 * Enqueues up to `budget` pending recipients that have no message in flight, are due (no retry waiting) and
 * whose send window is open, oldest first; marks them enqueued in the same step.
 */
async function enqueueDue(deps: DispatchDeps, campaign: EmailCampaign, run: CampaignRun, budget: number, now: Date) {
  const { open, opensAt } = await openTimeZones(deps.db, campaign, run.id, now);
  // Only a run whose every waiting zone is closed may sleep until one opens; open zones keep the bucket ticking.
  const windowOpensAt = open !== null && open.length === 0 ? opensAt : null;
  if (budget <= 0 || (open !== null && open.length === 0)) return { enqueued: 0, windowOpensAt };
  const iso = now.toISOString();
  const due = await deps.db
    .select({ id: campaignRecipients.id })
    .from(campaignRecipients)
    .where(
      and(
        eq(campaignRecipients.run_id, run.id),
        eq(campaignRecipients.status, "pending"),
        isNull(campaignRecipients.enqueued_at),
        or(isNull(campaignRecipients.retry_at), lte(campaignRecipients.retry_at, iso)),
        open === null
          ? undefined
          : inArray(sql`coalesce(${campaignRecipients.send_timezone}, ${campaign.send_window?.timezone ?? ""})`, open),
      ),
    )
    .orderBy(asc(campaignRecipients.id))
    .limit(budget);
  if (due.length === 0) return { enqueued: 0, windowOpensAt };
  // Marked before sending, in one statement: a crash in between leaves them marked with no message, which
  // reconcile repairs; the other order could put a second message in flight for the same recipient.
  await deps.db
    .update(campaignRecipients)
    .set({ enqueued_at: iso })
    .where(
      inJsonList(
        campaignRecipients.id,
        due.map((r) => r.id),
      ),
    );
  await Promise.all(
    chunk(due, ENQUEUE_CALL_SIZE).map((part) =>
      deps.enqueue(
        part.map((r) => ({ kind: "send_email", workspace_id: campaign.workspace_id, campaign_id: campaign.id, recipient_id: r.id })),
      ),
    ),
  );
  return { enqueued: due.length, windowOpensAt };
}

/**
 * Whether a recipient of the run has a message in flight; with `dueBy`, only one that may finish by then (being
 * sent, or waiting for no retry later than that): a run whose sends all wait for a retry need not be looked at
 * every second.
 */
async function hasInFlight(db: Database, runId: string, dueBy?: string): Promise<boolean> {
  const row = await db
    .select({ id: campaignRecipients.id })
    .from(campaignRecipients)
    .where(
      and(
        eq(campaignRecipients.run_id, runId),
        inArray(campaignRecipients.status, ["pending", "sending"]),
        sql`${campaignRecipients.enqueued_at} is not null`,
        dueBy === undefined ? undefined : or(isNull(campaignRecipients.retry_at), lte(campaignRecipients.retry_at, dueBy)),
      ),
    )
    .limit(1)
    .get();
  return row !== undefined;
}

/**
 * When no recipient of the run is `pending` or `sending`, the run is sent: a one-time campaign becomes `sent`;
 * a recurring one goes back to `scheduled` at its next occurrence. Conditional on the run still sending, so two
 * steps racing finish it once.
 */
async function finishIfComplete(db: Database, campaign: EmailCampaign, run: CampaignRun, now: Date): Promise<boolean> {
  const open = await db
    .select({ id: campaignRecipients.id })
    .from(campaignRecipients)
    .where(and(eq(campaignRecipients.run_id, run.id), inArray(campaignRecipients.status, ["pending", "sending"])))
    .limit(1)
    .get();
  if (open) return false;
  const iso = now.toISOString();
  const finished = await db
    .update(campaignRuns)
    .set({ status: "sent", completed_at: iso })
    .where(and(eq(campaignRuns.id, run.id), eq(campaignRuns.status, "sending")))
    .returning({ id: campaignRuns.id });
  if (finished.length === 0) return true;
  await recountRun(db, campaign.id, run.id);
  // After the occurrence this run was for, even if it finished before that time (a run started early by hand):
  // the same occurrence must not start a second run.
  const after = new Date(Math.max(now.getTime(), Date.parse(run.scheduled_for)));
  const following =
    campaign.campaign_type === "recurring" && campaign.recurrence_cron
      ? nextOccurrence(campaign.recurrence_cron, campaign.recurrence_timezone ?? "UTC", after)
      : null;
  await db
    .update(emailCampaigns)
    .set(
      following
        ? { status: "scheduled", scheduled_at: following.toISOString(), current_run_id: null }
        : { status: "sent", completed_at: iso, current_run_id: null },
    )
    .where(and(eq(emailCampaigns.id, campaign.id), eq(emailCampaigns.current_run_id, run.id), eq(emailCampaigns.status, "sending")));
  return true;
}
