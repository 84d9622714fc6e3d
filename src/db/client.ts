import { drizzle } from "drizzle-orm/d1";
import * as schema from "./schema";

const connect = (d1: D1Database) => drizzle(d1, { schema });

export type Database = ReturnType<typeof connect>;

const connections = new WeakMap<D1Database, Database>();

/** One drizzle instance per D1 binding and isolate: building it (schema relations included) costs CPU per request. */
export function createDb(d1: D1Database): Database {
  let db = connections.get(d1);
  if (!db) {
    db = connect(d1);
    connections.set(d1, db);
  }
  return db;
}
