// How the runners read their command line, summarise samples and print numbers, the same way in every report.

/** `--name N` from the command line, or `fallback` when absent; N must be a whole number, 1 or more unless `min` is 0. */
export function wholeNumberOption(name, fallback, { min = 1 } = {}) {
  const i = process.argv.indexOf(`--${name}`);
  if (i === -1) return fallback;
  const n = Number(process.argv[i + 1]);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} takes a ${min > 0 ? "positive " : ""}whole number`);
  return n;
}

/** Percentiles by nearest rank, so that each one is a sample that was measured; the median of an even count is the mean of the middle two. */
export function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const rank = (p) => s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)];
  return {
    n: s.length,
    min: s[0],
    median: s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2,
    p90: rank(0.9),
    max: s[s.length - 1],
  };
}

/** A figure with `d` decimals, or a dash where there is none, so that a missing figure never reads as NaN in a table. */
export const fmt = (x, d = 1) => (x === undefined || x === null || Number.isNaN(x) ? "—" : Number(x).toFixed(d));

export const int = (x) => Math.round(Number(x)).toLocaleString("en-US");
