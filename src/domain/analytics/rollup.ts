import { type SQL, sql } from "drizzle-orm";
import { SQLiteSyncDialect } from "drizzle-orm/sqlite-core";
import type { Database } from "../../db/client";

export const CAMPAIGN_EVENTS_WATERMARK = "campaign_events";

/**
 * The watermark is a time of arrival (`received_at`): everything received before it is in the rollups, everything
 * from it on is the raw tail, whenever it occurred, so an event that arrives hours late is counted all the same (in
 * the hour it occurred). A consumer batch stamps its rows with the time it started and commits a moment later; the
 * watermark stays this far behind the clock so that no batch can commit rows behind it.
 */
export const ROLLUP_SETTLE_MS = 300_000;

/** Rows deleted per statement: small enough for one D1 statement's time limit, repeated up to the cap below. */
export const RETENTION_CHUNK_ROWS = 1_000;
export const RETENTION_MAX_CHUNKS_PER_RUN = 20;

const HOUR_MS = 3_600_000;

/**
 * Hours of events one run rolls up at most, counted from the first event still to roll up (empty hours are
 * skipped whole): a backlog, such as a first run over months of events, is caught up a day per run instead of in
 * statements too long for D1.
 */
export const MAX_HOURS_PER_RUN = 24;

export const startOfHour = (time: Date) => new Date(Math.floor(time.getTime() / HOUR_MS) * HOUR_MS);

/** SQL text of an event's UTC hour, in the form rollup rows store it ("2026-12-05T14:00:00.000Z"). */
export const hourOf = (column: string) => sql.raw(`strftime('%Y-%m-%dT%H:00:00.000Z', ${column})`);

/**
 * The watermark as SQL, read inside the statement that uses it: a statement and the watermark it reads are one
 * snapshot, so a rollup running meanwhile can neither double-count nor hide events. Before the first rollup it is
 * the empty string, which sorts before every timestamp.
 */
export const watermarkSql = sql`coalesce((select rolled_up_to from analytics_watermarks where name = ${CAMPAIGN_EVENTS_WATERMARK}), '')`;

/**
 * Rolls the raw events received from the watermark up to `now` less the settle time (to an hour boundary, at most
 * MAX_HOURS_PER_RUN hours of arrivals) into the hourly (by the hour each occurred), link and device rollups and
 * moves the watermark there, all in one D1 batch (a transaction). Each statement selects from the watermark it reads
 * itself, so a second run (or one racing this one) finds nothing left to add. Returns the new watermark.
 */
export async function rollUpCampaignEvents(db: Database, now: Date): Promise<string> {
  const settled = startOfHour(new Date(now.getTime() - ROLLUP_SETTLE_MS)).getTime();
  const next = await db.get<{ received_at: string | null }>(sql`
    select min(received_at) as received_at from (
      select min(received_at) as received_at from tracking_events where received_at >= ${watermarkSql}
      union all
      select min(received_at) from provider_event_logs where received_at >= ${watermarkSql}
    )`);
  const firstPending = next?.received_at ? Date.parse(next.received_at) : Number.NaN;
  const capped = Number.isNaN(firstPending) ? settled : startOfHour(new Date(firstPending)).getTime() + MAX_HOURS_PER_RUN * HOUR_MS;
  const upTo = new Date(Math.min(settled, capped)).toISOString();
  const inWindow = (table: string) => sql`${sql.raw(table)}.received_at >= ${watermarkSql} and ${sql.raw(table)}.received_at < ${upTo}`;
  const hourlyConflict = sql`on conflict (campaign_id, hour, event_type, traffic_class) do update set
    count = campaign_hourly_stats.count + excluded.count,
    unique_count = campaign_hourly_stats.unique_count + excluded.unique_count,
    human_unique_count = campaign_hourly_stats.human_unique_count + excluded.human_unique_count`;

  await runInOneBatch(db, [
    sql`
      insert into campaign_hourly_stats (workspace_id, campaign_id, hour, event_type, traffic_class, count, unique_count, human_unique_count)
      select workspace_id, campaign_id, ${hourOf("occurred_at")}, event_type, traffic_class,
        count(*), sum(first_of_kind), sum(first_human_of_kind)
      from tracking_events where ${inWindow("tracking_events")}
      group by campaign_id, ${hourOf("occurred_at")}, event_type, traffic_class
      ${hourlyConflict}`,
    // Provider rows without a campaign (an address Flarecast cannot match) belong to no campaign's stats.
    sql`
      insert into campaign_hourly_stats (workspace_id, campaign_id, hour, event_type, traffic_class, count, unique_count, human_unique_count)
      select workspace_id, campaign_id, ${hourOf("occurred_at")}, event_type, 'provider', count(*), count(*), 0
      from provider_event_logs where campaign_id is not null and ${inWindow("provider_event_logs")}
      group by campaign_id, ${hourOf("occurred_at")}, event_type
      ${hourlyConflict}`,
    sql`
      insert into campaign_link_stats (workspace_id, campaign_id, url, clicks, unique_clickers, human_clicks, human_unique_clickers)
      select workspace_id, campaign_id, url, count(*), sum(first_for_link),
        sum(traffic_class = 'human'), sum(first_human_for_link)
      from tracking_events where event_type = 'click' and url is not null and ${inWindow("tracking_events")}
      group by campaign_id, url
      on conflict (campaign_id, url) do update set
        clicks = campaign_link_stats.clicks + excluded.clicks,
        unique_clickers = campaign_link_stats.unique_clickers + excluded.unique_clickers,
        human_clicks = campaign_link_stats.human_clicks + excluded.human_clicks,
        human_unique_clickers = campaign_link_stats.human_unique_clickers + excluded.human_unique_clickers`,
    sql`
      insert into campaign_device_stats (workspace_id, campaign_id, event_type, traffic_class, device_type, os, email_client, count)
      select workspace_id, campaign_id, event_type, traffic_class,
        coalesce(device_type, 'unknown'), coalesce(os, 'unknown'), coalesce(email_client, 'unknown'), count(*)
      from tracking_events where ${inWindow("tracking_events")}
      group by campaign_id, event_type, traffic_class, coalesce(device_type, 'unknown'), coalesce(os, 'unknown'), coalesce(email_client, 'unknown')
      on conflict (campaign_id, event_type, traffic_class, device_type, os, email_client) do update set
        count = campaign_device_stats.count + excluded.count`,
    sql`
      insert into analytics_watermarks (name, rolled_up_to, updated_at) values (${CAMPAIGN_EVENTS_WATERMARK}, ${upTo}, ${now.toISOString()})
      on conflict (name) do update set
        rolled_up_to = max(analytics_watermarks.rolled_up_to, excluded.rolled_up_to),
        updated_at = excluded.updated_at`,
  ]);
  return upTo;
}

const dialect = new SQLiteSyncDialect();

/** Statements of raw SQL as one D1 batch, which D1 runs as a transaction (drizzle batches only its query builders). */
async function runInOneBatch(db: Database, statements: SQL[]) {
  await db.$client.batch(
    statements.map((statement) => {
      const query = dialect.sqlToQuery(statement);
      return db.$client.prepare(query.sql).bind(...query.params);
    }),
  );
}

/**
 * Deletes raw events received longer ago than the retention, and never one the rollups do not hold yet (received
 * before the watermark too), a chunk at a time so each statement stays short; what the cap leaves waits for the next run.
 */
export async function deleteExpiredRawEvents(
  db: Database,
  now: Date,
  retentionDays: number,
  chunks = { rows: RETENTION_CHUNK_ROWS, maxPerRun: RETENTION_MAX_CHUNKS_PER_RUN },
) {
  const byAge = new Date(now.getTime() - retentionDays * 86_400_000).toISOString();
  const watermark = await readWatermark(db);
  // ISO timestamps: the earlier sorts first.
  const cutoff = watermark === null ? null : [watermark, byAge].sort()[0]!;
  if (cutoff === null) return { cutoff: null, tracking_events: 0, provider_event_logs: 0 };
  return {
    cutoff,
    tracking_events: await deleteInChunks(db, "tracking_events", cutoff, chunks),
    provider_event_logs: await deleteInChunks(db, "provider_event_logs", cutoff, chunks),
  };
}

async function deleteInChunks(
  db: Database,
  table: "tracking_events" | "provider_event_logs",
  cutoff: string,
  chunks: { rows: number; maxPerRun: number },
) {
  let deleted = 0;
  for (let chunk = 0; chunk < chunks.maxPerRun; chunk += 1) {
    const result = await db.run(
      sql`delete from ${sql.raw(table)} where id in (select id from ${sql.raw(table)} where received_at < ${cutoff} limit ${chunks.rows})`,
    );
    const changes = result.meta.changes ?? 0;
    deleted += changes;
    if (changes < chunks.rows) break;
  }
  return deleted;
}

export async function readWatermark(db: Database): Promise<string | null> {
  const row = await db.get<{ rolled_up_to: string } | undefined>(
    sql`select rolled_up_to from analytics_watermarks where name = ${CAMPAIGN_EVENTS_WATERMARK}`,
  );
  return row?.rolled_up_to ?? null;
}
