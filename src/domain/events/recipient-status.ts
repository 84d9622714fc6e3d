import { sql } from "drizzle-orm";
import { campaignRecipients } from "../../db/schema";
import type { recipientStatuses } from "../../db/schema/enums";

export type RecipientStatus = (typeof recipientStatuses)[number];

/**
 * How far a recipient has come. Events only move it up: a late delivery report never undoes an open, and the
 * terminal statuses (bounced, complained, unsubscribed) share the top rank, so the first one reached stays.
 * Statuses before the provider's answer (pending, sending, failed, unknown) rank 0, so any report resolves them.
 */
export const STATUS_RANK: Record<RecipientStatus, number> = {
  pending: 0,
  sending: 0,
  failed: 0,
  unknown: 0,
  sent: 1,
  delivered: 2,
  opened: 3,
  clicked: 4,
  bounced: 5,
  complained: 5,
  unsubscribed: 5,
};

export const higherStatus = (a: RecipientStatus | null, b: RecipientStatus): RecipientStatus =>
  a !== null && STATUS_RANK[a] >= STATUS_RANK[b] ? a : b;

/** The rank of the row's current status, in SQL. */
export const statusRankSql = sql.raw(
  `case ${campaignRecipients.status.name} ${Object.entries(STATUS_RANK)
    .filter(([, rank]) => rank > 0)
    .map(([status, rank]) => `when '${status}' then ${rank}`)
    .join(" ")} else 0 end`,
);
