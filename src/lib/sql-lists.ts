import { type SQL, type SQLWrapper, sql } from "drizzle-orm";

/**
 * `column IN (…)` with the whole list bound as one JSON parameter: D1 binds at most 100 parameters per
 * statement, which an IN list of ids (plus the statement's other values) would otherwise exceed.
 */
export const inJsonList = (column: SQLWrapper, values: readonly string[]): SQL =>
  sql`${column} in (select value from json_each(${JSON.stringify(values)}))`;
