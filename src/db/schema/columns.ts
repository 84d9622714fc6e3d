import { text } from "drizzle-orm/sqlite-core";

// Times are RFC 3339 UTC strings produced by Date#toISOString, so they sort and compare as text.
export const nowIso = () => new Date().toISOString();

export const id = () => text().primaryKey();
export const timestamp = () => text();
export const createdAt = () => text().notNull().$defaultFn(nowIso);
export const updatedAt = () => text().notNull().$defaultFn(nowIso).$onUpdateFn(nowIso);
