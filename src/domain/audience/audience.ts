import { asc, count, sql } from "drizzle-orm";
import type { Database } from "../../db/client";
import { type Subscriber, subscribers } from "../../db/schema";
import { type AudienceFilter, assertListReferences, audienceCondition, listReferences } from "./segments";

export interface AudienceQuery {
  list_id?: string | null;
  audience_filters?: AudienceFilter | null;
}

export interface AudiencePreview {
  count: number;
  /** How many of them could be sent to now: active status; suppression is decided per campaign. */
  active_count: number;
  sample: Subscriber[];
}

const SAMPLE_SIZE = 5;

export async function previewAudience(db: Database, workspaceId: string, query: AudienceQuery, now: Date): Promise<AudiencePreview> {
  await assertListReferences(db, workspaceId, [
    ...(query.list_id ? [{ list_id: query.list_id, path: "list_id" }] : []),
    ...(query.audience_filters ? listReferences(query.audience_filters, "audience_filters") : []),
  ]);
  const where = audienceCondition({ workspaceId, now }, query.list_id, query.audience_filters);

  const [[totals], sample] = await Promise.all([
    db
      .select({ count: count(), active: sql<number>`coalesce(sum(${subscribers.status} = 'active'), 0)` })
      .from(subscribers)
      .where(where),
    db.select().from(subscribers).where(where).orderBy(asc(subscribers.id)).limit(SAMPLE_SIZE),
  ]);
  return { count: totals.count, active_count: Number(totals.active), sample };
}
