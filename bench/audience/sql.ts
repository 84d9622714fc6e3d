// Prints the SQL that the audience preview runs, built by the application's own code
// (src/domain/audience/segments.ts + the two queries of previewAudience in audience.ts), so that
// bench/audience/run.mjs can EXPLAIN and time exactly that SQL against the local D1.
//
//   node --import tsx bench/audience/sql.ts '<json>'
//   json: {"workspace_id": "...", "cases": [{"name": "...", "list_id": "..."|null, "audience_filters": {...}}]}
//
// Output (stdout): [{"name", "count": {"sql", "params"}, "sample": {"sql", "params"}}]
import { asc, count, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { subscribers } from "../../src/db/schema";
import { type AudienceFilter, audienceCondition } from "../../src/domain/audience/segments";

interface Input {
  workspace_id: string;
  cases: { name: string; list_id: string | null; audience_filters: AudienceFilter }[];
}

const input = JSON.parse(process.argv[2] ?? "") as Input;
// No D1 binding is needed to build a query; the object is never called.
const db = drizzle({} as D1Database);

const out = input.cases.map((c) => {
  const where = audienceCondition({ workspaceId: input.workspace_id, now: new Date() }, c.list_id, c.audience_filters);
  // The same two queries, in the same shape, as previewAudience() in src/domain/audience/audience.ts.
  const counting = db
    .select({ count: count(), active: sql<number>`coalesce(sum(${subscribers.status} = 'active'), 0)` })
    .from(subscribers)
    .where(where)
    .toSQL();
  const sample = db.select().from(subscribers).where(where).orderBy(asc(subscribers.id)).limit(5).toSQL();
  return { name: c.name, count: counting, sample };
});
process.stdout.write(`${JSON.stringify(out)}\n`);
