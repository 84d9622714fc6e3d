import { and, eq, isNull, type SQL, sql } from "drizzle-orm";
import type { Database } from "../../db/client";
import { alerts, sendingDomains } from "../../db/schema";
import { newId } from "../../lib/ids";

export const COMPLAINT_WINDOW_MS = 24 * 3_600_000;
/**
 * Below this many sends in 24 h the rate is not judged: two complaints over 500 sends is 0.4 %, and chance alone
 * would pause small senders. Gmail and Yahoo judge bulk senders (thousands a day), which is what this guards.
 */
export const COMPLAINT_GUARD_MIN_SENDS = 1_000;
/** Rates in complaints per thousand sends, compared in integers: > 1 ‰ (0.1 %) warns, > 3 ‰ (0.3 %, Gmail's limit) pauses. */
export const COMPLAINT_WARNING_PER_MILLE = 1;
export const COMPLAINT_CRITICAL_PER_MILLE = 3;

export interface GuardedDomain {
  workspace_id: string;
  domain_id: string;
}

/**
 * Statements that judge one sending domain's complaint rate over the last 24 h, for the end of the cascade's write
 * batch (after the recipients' complained_at are set). Past the critical rate the domain's marketing pause is set
 * once (sticky until an operator lifts it) with a critical alert; past the warning rate a warning alert is raised
 * at most once per 24 h. Sends are recipients with sent_at in the window, complaints those with complained_at in it.
 */
export function complaintGuardStatements(db: Database, domain: GuardedDomain, now: Date) {
  const since = new Date(now.getTime() - COMPLAINT_WINDOW_MS).toISOString();
  const at = now.toISOString();
  const sends = sql`(select count(*) from campaign_recipients where sending_domain_id = ${domain.domain_id} and sent_at >= ${since})`;
  const complaints = sql`(select count(*) from campaign_recipients where sending_domain_id = ${domain.domain_id} and complained_at >= ${since})`;
  const judged = sql`${sends} >= ${COMPLAINT_GUARD_MIN_SENDS}`;
  const pastCritical = sql`${complaints} * 1000 > ${sends} * ${COMPLAINT_CRITICAL_PER_MILLE}`;
  const pastWarning = sql`${complaints} * 1000 > ${sends} * ${COMPLAINT_WARNING_PER_MILLE}`;
  const describe = sql`printf('complaint rate %.2f%% over the last 24 h (%d complaints / %d sends)', ${complaints} * 100.0 / ${sends}, ${complaints}, ${sends})`;
  const details = sql`json_object('complaints', ${complaints}, 'sends', ${sends}, 'window_hours', 24)`;
  const alert = (severity: "warning" | "critical", type: string, message: SQL) =>
    db.select({
      id: sql<string>`${newId("alr", now.getTime())}`.as("id"),
      workspace_id: sendingDomains.workspace_id,
      severity: sql<typeof severity>`${severity}`.as("severity"),
      alert_type: sql<string>`${type}`.as("alert_type"),
      target_type: sql<string>`'domain'`.as("target_type"),
      target_id: sendingDomains.id,
      message: sql<string>`${message}`.as("message"),
      details: sql<string>`${details}`.as("details"),
      acknowledged_at: sql<string | null>`null`.as("acknowledged_at"),
      created_at: sql<string>`${at}`.as("created_at"),
    });
  const thisDomain = and(eq(sendingDomains.id, domain.domain_id), eq(sendingDomains.workspace_id, domain.workspace_id));
  return [
    db
      .update(sendingDomains)
      .set({ marketing_paused_at: at, marketing_pause_reason: describe, updated_at: at })
      .where(and(thisDomain, isNull(sendingDomains.marketing_paused_at), judged, pastCritical)),
    db
      .insert(alerts)
      .select(
        alert(
          "critical",
          "complaint_rate_critical",
          sql`'Marketing sends from ' || ${sendingDomains.domain} || ' are paused: ' || ${sendingDomains.marketing_pause_reason}`,
        )
          .from(sendingDomains)
          .where(and(thisDomain, sql`changes() = 1`)),
      ),
    db.insert(alerts).select(
      alert("warning", "complaint_rate_warning", sql`'Complaints on ' || ${sendingDomains.domain} || ': ' || ${describe}`)
        .from(sendingDomains)
        .where(
          and(
            thisDomain,
            isNull(sendingDomains.marketing_paused_at),
            judged,
            pastWarning,
            sql`not exists (select 1 from alerts where workspace_id = ${domain.workspace_id} and created_at >= ${since}
              and alert_type = 'complaint_rate_warning' and target_id = ${domain.domain_id})`,
          ),
        ),
    ),
  ];
}
