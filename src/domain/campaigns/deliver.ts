import { and, eq, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Database } from "../../db/client";
import {
  type CampaignRecipient,
  type CampaignRun,
  campaignRecipients,
  campaignRuns,
  type EmailCampaign,
  emailCampaigns,
  type SendingIdentity,
  type Subscriber,
  subscribers,
} from "../../db/schema";
import { chunk } from "../../lib/chunk";
import { inJsonList } from "../../lib/sql-lists";
import { SendError } from "../errors";
import type { UrlEnv } from "../preferences/tokens";
import { limiterFor, mirrorDailySends } from "../provider-accounts/provider-limits";
import type { RoutingState } from "../routing/route-loader";
import type { RouteChoice, RoutingDecision } from "../routing/types";
import { addTracking, trackingApplies } from "../tracking/links";
import { throttleFor } from "../warming/throttle";
import { routeForCampaign } from "./campaign-route";
import { addToCounters, type CounterDelta, noChange } from "./counters";
import {
  buildMessage,
  loadTemplateVersion,
  type PinnedTemplate,
  render,
  renderContext,
  type SendingWorkspace,
  senderFor,
  systemValues,
} from "./personalize";
import { ProviderSession } from "./provider-session";
import { isWithinWindow, nextWindowOpen } from "./send-window";
import { sendingSetupFor } from "./sending-setup";

export interface DeliveryDeps {
  db: Database;
  env: Env;
  /** The signing keys and public URL that unsubscribe links are made with, and the key that opens secrets. */
  urls: UrlEnv;
  encryptionKey: string;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

/** What the queue should do with a recipient's message: drop it (ack) or deliver it again after a delay. */
export type DeliveryOutcome = { ack: true } | { ack: false; delaySeconds: number };

/** Retryable failures on one provider before the recipient fails over to the next route. */
export const RETRIES_BEFORE_FAILOVER = 3;
/** Claims of one recipient before a still-retryable failure becomes final; the send queue delivers a message six times. */
export const MAX_ATTEMPTS = 5;
/** Provider calls in flight at once within a batch. */
export const SEND_CONCURRENCY = 10;
/**
 * Outcomes are written once this many are waiting (and at the end of the batch): fewer writes per send, and a
 * consumer that dies mid-batch leaves at most about this many recipients to become `unknown`.
 */
const RECORD_EVERY = 50;
/** The longest delay a queue message can be retried with. */
const MAX_DELAY_SECONDS = 12 * 60 * 60;
const CAPPED_RETRY_SECONDS = 60 * 60;

const ACK: DeliveryOutcome = { ack: true };
const later = (seconds: number): DeliveryOutcome => ({
  ack: false,
  delaySeconds: Math.max(0, Math.min(MAX_DELAY_SECONDS, Math.ceil(seconds))),
});
const backoffSeconds = (attempts: number) => Math.min(15 * 60, 10 * 2 ** Math.max(0, attempts - 1));

/**
 * Sends the recipients named by a batch of queue messages. Each recipient is claimed (`pending → sending`,
 * one conditional UPDATE for the batch) before anything else, so a redelivered message finds its recipient
 * claimed or finished and sends nothing. A claim the recipient may not use now (its run paused, its window
 * closed) is given back. Outcomes are keyed by recipient id.
 */
export async function deliverBatch(
  deps: DeliveryDeps,
  recipientIds: string[],
  now: Date = new Date(),
): Promise<Map<string, DeliveryOutcome>> {
  const outcomes = new Map<string, DeliveryOutcome>(recipientIds.map((id) => [id, ACK]));
  const iso = now.toISOString();
  const claimed: CampaignRecipient[] = [];
  const campaigns = new Map<string, EmailCampaign>();
  const runs = new Map<string, CampaignRun>();
  const { db } = deps;
  for (const part of chunk([...new Set(recipientIds)], 500)) {
    const ofPart = (column: "campaign_id" | "run_id") =>
      sql`(select ${sql.identifier(column)} from ${campaignRecipients} where ${inJsonList(campaignRecipients.id, part)})`;
    // One round trip: the claim, then the campaigns and runs of the recipients it names.
    const [rows, campaignRows, runRows] = await db.batch([
      db
        .update(campaignRecipients)
        .set({ status: "sending", claimed_at: iso, attempts: sql`${campaignRecipients.attempts} + 1`, updated_at: iso })
        .where(and(inJsonList(campaignRecipients.id, part), eq(campaignRecipients.status, "pending")))
        .returning(),
      db
        .select()
        .from(emailCampaigns)
        .where(sql`${emailCampaigns.id} in ${ofPart("campaign_id")}`),
      db
        .select()
        .from(campaignRuns)
        .where(sql`${campaignRuns.id} in ${ofPart("run_id")}`),
    ]);
    claimed.push(...rows);
    for (const c of campaignRows) campaigns.set(c.id, c);
    for (const r of runRows) runs.set(r.id, r);
  }
  const groups = new Map<string, CampaignRecipient[]>();
  for (const r of claimed) {
    const key = `${r.campaign_id}\u0000${r.run_id ?? ""}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  for (const group of groups.values()) {
    const [first] = group;
    const campaign = campaigns.get(first.campaign_id);
    if (!campaign) continue;
    const scope = { campaign, run: first.run_id ? (runs.get(first.run_id) ?? null) : null };
    await deliverGroup(deps, scope, group, now, outcomes);
  }
  return outcomes;
}

interface GroupScope {
  campaign: EmailCampaign;
  run: CampaignRun | null;
}

/** A run's sends stop at once when it is paused or cancelled: its recipients wait (un-enqueued) for a resume. */
function runIsSending({ campaign, run }: GroupScope): boolean {
  if (!run) return campaign.status !== "cancelled";
  return campaign.status === "sending" && run.status === "sending" && campaign.current_run_id === run.id;
}

/** Gives claims back untried: the recipients are `pending` again, and the attempt does not count. */
function giveBack(db: Database, ids: string[], now: Date, retryAt: string | null) {
  return db
    .update(campaignRecipients)
    .set({
      status: "pending",
      claimed_at: null,
      enqueued_at: null,
      attempts: sql`${campaignRecipients.attempts} - 1`,
      ...(retryAt ? { retry_at: retryAt } : {}),
      updated_at: now.toISOString(),
    })
    .where(and(inJsonList(campaignRecipients.id, ids), eq(campaignRecipients.status, "sending")));
}

async function deliverGroup(
  deps: DeliveryDeps,
  scope: GroupScope,
  claimed: CampaignRecipient[],
  now: Date,
  outcomes: Map<string, DeliveryOutcome>,
) {
  const { db } = deps;
  // The dispatcher enqueues them again on resume.
  if (!runIsSending(scope)) {
    await giveBack(
      db,
      claimed.map((r) => r.id),
      now,
      null,
    );
    return;
  }
  const window = scope.run ? scope.campaign.send_window : null;
  const open: CampaignRecipient[] = [];
  const closedUntil = new Map<string, string[]>();
  for (const r of claimed) {
    const timeZone = window ? (r.send_timezone ?? window.timezone) : null;
    if (!window || !timeZone || isWithinWindow(window, timeZone, now)) {
      open.push(r);
      continue;
    }
    const opens = nextWindowOpen(window, timeZone, now).toISOString();
    closedUntil.set(opens, [...(closedUntil.get(opens) ?? []), r.id]);
  }
  for (const [opens, ids] of closedUntil) await giveBack(db, ids, now, opens);
  if (open.length === 0) return;
  await new GroupDelivery(deps, scope, now, outcomes).run(open);
}

interface Planned {
  recipient: CampaignRecipient;
  routes: RouteChoice[];
}

/** One batch's recipients of one campaign run, from their claim to their recorded outcome. */
class GroupDelivery {
  private readonly session: ProviderSession;
  private readonly statements: BatchItem<"sqlite">[] = [];
  /** Recipient id → provider, domain, identity and provider message id of each send not recorded yet. */
  private readonly sentSinceFlush = new Map<string, { p: string; d: string; i: string; m: string; f: string[] }>();
  private delta: CounterDelta = noChange();
  private state!: RoutingState;
  private template!: PinnedTemplate | null;
  private identities = new Map<string, SendingIdentity>();
  private subscribers = new Map<string, Subscriber>();
  private workspace!: SendingWorkspace;
  private failedProviders = new Set<string>();
  /** The outcome writes under way: `record` chains each onto the one before. */
  private recording: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly deps: DeliveryDeps,
    private readonly scope: GroupScope,
    private readonly now: Date,
    private readonly outcomes: Map<string, DeliveryOutcome>,
  ) {
    this.session = new ProviderSession(deps.db, scope.campaign.workspace_id, {
      encryptionKey: deps.encryptionKey,
      fetch: deps.fetch,
      timeoutMs: deps.timeoutMs,
    });
  }

  async run(claimed: CampaignRecipient[]): Promise<void> {
    let granted: Planned[];
    try {
      granted = await this.plan(claimed);
    } catch (error) {
      // Nothing was sent yet: give every claim back, so the redelivered messages can take them again.
      await this.deps.db
        .update(campaignRecipients)
        .set({ status: "pending", claimed_at: null })
        .where(
          and(
            inJsonList(
              campaignRecipients.id,
              claimed.map((r) => r.id),
            ),
            eq(campaignRecipients.status, "sending"),
          ),
        );
      throw error;
    }
    for (const part of chunk(granted, SEND_CONCURRENCY)) {
      await Promise.all(part.map((p) => this.sendOne(p)));
      if (this.statements.length + this.sentSinceFlush.size >= RECORD_EVERY) this.record();
    }
    this.record();
    await this.recording;
  }

  /** Everything before the first provider call: template, subscribers, routes and capacity. */
  private async plan(claimed: CampaignRecipient[]): Promise<Planned[]> {
    await this.prepare(claimed);
    if (!this.template) {
      for (const r of claimed) this.fail(r, "template_missing", "the campaign's template or its pinned version no longer exists");
      return [];
    }
    const planned: Planned[] = [];
    for (const [index, r] of claimed.entries()) {
      const decision = this.route(r, index);
      if (decision.ok) planned.push({ recipient: r, routes: [decision, ...decision.fallbacks] });
      else this.noRoute(r, decision.reasons);
    }
    return this.acquireCapacity(planned);
  }

  /** The template, the subscribers and the sending setup, read at once: none depends on another. */
  private async prepare(claimed: CampaignRecipient[]): Promise<void> {
    const { db } = this.deps;
    const { campaign, run } = this.scope;
    const subscriberIds = claimed.flatMap((r) => (r.subscriber_id ? [r.subscriber_id] : []));
    const [template, pages, setup] = await Promise.all([
      run
        ? loadTemplateVersion(db, run.template_id, run.template_version)
        : campaign.template_id
          ? loadTemplateVersion(db, campaign.template_id, null)
          : null,
      Promise.all(chunk(subscriberIds, 500).map((part) => db.select().from(subscribers).where(inJsonList(subscribers.id, part)))),
      sendingSetupFor(db, this.deps.env, campaign.workspace_id, campaign.sending_pool_id, this.now),
    ]);
    this.template = template;
    for (const s of pages.flat()) this.subscribers.set(s.id, s);
    this.workspace = setup.workspace;
    this.state = setup.state;
    this.session.adopt(setup.providers, setup.domains);
    for (const identity of setup.identities) this.identities.set(identity.id, identity);
  }

  private route(r: CampaignRecipient, index: number, ignoreCaps = false): RoutingDecision {
    return routeForCampaign(this.state, this.scope.campaign, {
      email: r.email,
      sequence: index,
      excludeProviderIds: [...r.failed_provider_ids, ...this.failedProviders],
      marketing: r.run_id !== null,
      ignoreCaps,
    });
  }

  /** No route now: if only today's caps are in the way the recipient waits for room; otherwise nothing can carry it. */
  private noRoute(r: CampaignRecipient, reasons: string[]): void {
    if (this.route(r, 0, true).ok && r.attempts < MAX_ATTEMPTS) {
      this.release(r, CAPPED_RETRY_SECONDS);
      return;
    }
    this.fail(r, "no_route", reasons.join("; ") || "no sending domain and provider can carry this message");
  }

  /**
   * Takes the batch's sends from each domain's DomainThrottle, its dedicated IP's, and each provider's
   * ProviderLimiter — one call per domain, IP and provider, not one per recipient. Recipients beyond a grant
   * wait: the queue delivers their messages again when there is room.
   */
  private async acquireCapacity(planned: Planned[]): Promise<Planned[]> {
    const { env, db } = this.deps;
    const count = (key: (p: Planned) => string | null) => {
      const counts = new Map<string, number>();
      for (const p of planned) {
        const k = key(p);
        if (k) counts.set(k, (counts.get(k) ?? 0) + 1);
      }
      return counts;
    };
    const ipOf = (p: Planned) => this.state.domains.find((d) => d.domain_id === p.routes[0].domain_id)?.dedicated_ip?.ip_id ?? null;
    const [domains, ips, providers] = await Promise.all([
      grants(
        count((p) => p.routes[0].domain_id),
        (id, n) =>
          throttleFor(env, { type: "domain", id })
            .acquire(n)
            .then((g) => ({ granted: g.granted, retryMs: null })),
      ),
      grants(count(ipOf), (id, n) =>
        throttleFor(env, { type: "ip", id })
          .acquire(n)
          .then((g) => ({ granted: g.granted, retryMs: null })),
      ),
      grants(
        count((p) => p.routes[0].provider_id),
        (id, n) =>
          limiterFor(env, id)
            .acquire(n, this.now.getTime())
            .then((g) => {
              // Written with the batch's first outcomes rather than waited for here.
              this.statements.push(mirrorDailySends(db, id, g.day_sent, this.now));
              return { granted: g.granted, retryMs: g.retry_after_ms };
            }),
      ),
    ]);
    const take = (pool: Map<string, { granted: number; retryMs: number | null }>, key: string | null) => {
      if (key === null) return { ok: true, retryMs: null };
      const grant = pool.get(key);
      if (!grant || grant.granted <= 0) return { ok: false, retryMs: grant?.retryMs ?? null };
      grant.granted--;
      return { ok: true, retryMs: null };
    };
    const ready: Planned[] = [];
    for (const p of planned) {
      const provider = take(providers, p.routes[0].provider_id);
      const domain = take(domains, p.routes[0].domain_id);
      const ip = take(ips, ipOf(p));
      if (provider.ok && domain.ok && ip.ok) ready.push(p);
      else this.release(p.recipient, provider.ok ? CAPPED_RETRY_SECONDS : Math.max(1, (provider.retryMs ?? 1000) / 1000));
    }
    return ready;
  }

  private async sendOne({ recipient, routes }: Planned): Promise<void> {
    const { campaign } = this.scope;
    const subscriber = recipient.subscriber_id ? this.subscribers.get(recipient.subscriber_id) : undefined;
    if (!subscriber) return this.fail(recipient, "subscriber_missing", "the subscriber was deleted or erased before the send");
    const system = await systemValues(
      this.deps.urls,
      this.workspace,
      subscriber,
      campaign,
      { email: recipient.email, name: recipient.recipient_name },
      this.now,
    );
    let rendered: Awaited<ReturnType<typeof render>>;
    try {
      rendered = await render(this.template!, renderContext(campaign, subscriber, recipient.context, system));
    } catch (error) {
      // A render is deterministic: what failed once fails again, so the recipient fails now with the reason.
      return this.fail(recipient, "render_failed", error instanceof Error ? error.message : String(error));
    }
    const excluded = new Set(recipient.failed_provider_ids);
    let tracked: Promise<string> | undefined;
    for (const route of routes) {
      if (excluded.has(route.provider_id) || this.failedProviders.has(route.provider_id)) continue;
      const domain = this.session.domain(route.domain_id);
      const identity = this.identities.get(route.identity_id);
      if (!domain || !identity) continue;
      // Per route: a provider can turn tracking off, and a failover may land on one that did.
      const track = trackingApplies(campaign, this.session.provider(route.provider_id));
      if (track) {
        tracked ??= addTracking(rendered.html, {
          keys: this.deps.urls,
          trackingDomain: this.deps.env.EMAIL_TRACKING_DOMAIN,
          message: { workspaceId: campaign.workspace_id, campaignId: campaign.id, recipientId: recipient.id, sentAt: this.now },
          untrackedPrefixes: [system.preferences_url, system.unsubscribe_url],
        });
      }
      const message = buildMessage({
        rendered: track ? { ...rendered, html: await tracked! } : rendered,
        sender: senderFor(campaign, identity, domain),
        domain,
        recipient,
        campaign,
        unsubscribeUrl: system.unsubscribe_url,
        stream: this.scope.run ? "broadcast" : "transactional",
        now: this.now,
      });
      try {
        const receipt = await this.session.send(route.provider_id, route.domain_id, message);
        return this.sent(recipient, route, receipt.providerMessageId);
      } catch (error) {
        const failure = error instanceof SendError ? error : new SendError("unknown", String(error));
        if (failure.kind === "permanent") return this.fail(recipient, "provider_rejected", failure.reason, route);
        if (failure.kind === "unknown") return this.unknown(recipient, failure.reason, route);
        if (failure.kind === "config") {
          this.failedProviders.add(route.provider_id);
          await this.session.markUnhealthy(route.provider_id, failure.reason, this.now);
          excluded.add(route.provider_id);
          continue;
        }
        if (recipient.attempts >= MAX_ATTEMPTS) return this.fail(recipient, "retries_exhausted", failure.reason, route);
        if (recipient.attempts >= RETRIES_BEFORE_FAILOVER && routes.length > 1) {
          excluded.add(route.provider_id);
          // Written with the recipient's outcome, so a later attempt does not pick this provider again.
          recipient.failed_provider_ids = [...excluded];
          continue;
        }
        return this.release(recipient, (failure.retryAfterMs ?? backoffSeconds(recipient.attempts) * 1000) / 1000, [...excluded]);
      }
    }
    if (recipient.attempts >= MAX_ATTEMPTS) return this.fail(recipient, "no_route", "every route failed for this recipient");
    this.release(recipient, backoffSeconds(recipient.attempts), [...excluded]);
  }

  private claimed(r: CampaignRecipient) {
    return and(eq(campaignRecipients.id, r.id), eq(campaignRecipients.status, "sending"));
  }

  private sent(r: CampaignRecipient, route: RouteChoice, providerMessageId: string) {
    this.sentSinceFlush.set(r.id, {
      p: route.provider_id,
      d: route.domain_id,
      i: route.identity_id,
      m: providerMessageId,
      f: r.failed_provider_ids,
    });
    this.delta.sent++;
  }

  /**
   * The sends since the last flush as one UPDATE, each row's values looked up by its id in one JSON parameter:
   * building and running an UPDATE per recipient was the largest cost of a batch after the provider calls.
   */
  private recordSent(): BatchItem<"sqlite"> | null {
    if (this.sentSinceFlush.size === 0) return null;
    const ids = [...this.sentSinceFlush.keys()];
    const values = JSON.stringify(Object.fromEntries(this.sentSinceFlush));
    this.sentSinceFlush.clear();
    const of = (field: string) => sql`json_extract(${values}, '$."' || ${campaignRecipients.id} || '".${sql.raw(field)}')`;
    const iso = this.now.toISOString();
    return this.deps.db
      .update(campaignRecipients)
      .set({
        status: "sent",
        provider_id: of("p"),
        sending_domain_id: of("d"),
        sending_identity_id: of("i"),
        provider_message_id: of("m"),
        failed_provider_ids: of("f"),
        sent_at: iso,
        claimed_at: null,
        failure_reason: null,
        failure_detail: null,
        updated_at: iso,
      })
      .where(and(inJsonList(campaignRecipients.id, ids), eq(campaignRecipients.status, "sending")));
  }

  private fail(r: CampaignRecipient, reason: string, detail: string, route?: RouteChoice) {
    this.statements.push(
      this.deps.db
        .update(campaignRecipients)
        .set({
          status: "failed",
          failure_reason: reason,
          failure_detail: detail,
          failed_provider_ids: r.failed_provider_ids,
          claimed_at: null,
          ...(route ? { provider_id: route.provider_id, sending_domain_id: route.domain_id, sending_identity_id: route.identity_id } : {}),
          updated_at: this.now.toISOString(),
        })
        .where(this.claimed(r)),
    );
    this.delta.failed++;
  }

  private unknown(r: CampaignRecipient, detail: string, route: RouteChoice) {
    this.statements.push(
      this.deps.db
        .update(campaignRecipients)
        .set({
          status: "unknown",
          failure_reason: "outcome_unknown",
          failure_detail: detail,
          provider_id: route.provider_id,
          sending_domain_id: route.domain_id,
          sending_identity_id: route.identity_id,
          claimed_at: null,
          updated_at: this.now.toISOString(),
        })
        .where(this.claimed(r)),
    );
    this.delta.unknown++;
  }

  /** Gives the claim back: the recipient is `pending` again and its message is delivered again after the delay. */
  private release(r: CampaignRecipient, delaySeconds: number, failedProviderIds?: string[]) {
    const outcome = later(delaySeconds);
    const retryAt = new Date(this.now.getTime() + (outcome.ack ? 0 : outcome.delaySeconds * 1000)).toISOString();
    this.statements.push(
      this.deps.db
        .update(campaignRecipients)
        .set({
          status: "pending",
          claimed_at: null,
          retry_at: retryAt,
          ...(failedProviderIds ? { failed_provider_ids: failedProviderIds } : {}),
          updated_at: this.now.toISOString(),
        })
        .where(this.claimed(r)),
    );
    this.outcomes.set(r.id, outcome);
  }

  /**
   * Writes the outcomes gathered so far while the next sends go out: each write waits for the one before, so
   * they land in order, and the batch ends only when the last has landed. A failed write fails the ones after it
   * and then the batch; its recipients stay `sending` until reconcile marks them `unknown`.
   */
  private record(): void {
    const { campaign, run } = this.scope;
    const delta = this.delta;
    this.delta = noChange();
    const statements = this.statements.splice(0);
    const sent = this.recordSent();
    if (sent) statements.push(sent);
    if (delta.sent || delta.failed || delta.unknown) statements.push(...addToCounters(this.deps.db, campaign.id, run?.id ?? null, delta));
    const [first, ...rest] = statements;
    if (!first) return;
    const previous = this.recording;
    this.recording = previous.then(() => this.deps.db.batch([first, ...rest]));
    // Observed by `run`, which awaits the last write; this only keeps an early failure from being reported unhandled.
    this.recording.catch(() => {});
  }
}

async function grants(
  counts: Map<string, number>,
  acquire: (id: string, n: number) => Promise<{ granted: number; retryMs: number | null }>,
): Promise<Map<string, { granted: number; retryMs: number | null }>> {
  const entries = await Promise.all([...counts].map(async ([id, n]) => [id, await acquire(id, n)] as const));
  return new Map(entries);
}
