/** D1 binds at most 100 parameters per statement; multi-row inserts are split to stay under it. */
export const D1_MAX_BOUND_PARAMETERS = 100;

export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export const rowsPerInsert = (columns: number) => Math.max(1, Math.floor(D1_MAX_BOUND_PARAMETERS / columns));
