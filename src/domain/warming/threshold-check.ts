import { eq } from "drizzle-orm";
import type { Database } from "../../db/client";
import { addDays, localDate } from "./local-day";
import { countsOf, type ProgressRow, progressRowsOf } from "./progress";
import { refOf, selectTargets, TARGET_TYPES, type TargetRow } from "./targets";
import {
  evaluateThresholds,
  rateWindow,
  resolveThresholds,
  sumCounts,
  THRESHOLD_MINIMUM_VOLUME,
  THRESHOLD_WINDOW_DAYS,
} from "./thresholds";
import { pauseWarming } from "./warming";

/** The local dates the target's window spans: today and the days before it, in its workspace's zone. */
function windowDates(row: TargetRow, now: Date) {
  const to = localDate(now, row.timezone);
  return { from: addDays(to, 1 - THRESHOLD_WINDOW_DAYS), to };
}

function windowOf(row: TargetRow, rows: readonly ProgressRow[], now: Date) {
  const { from, to } = windowDates(row, now);
  const days = rows.filter((r) => r.date >= from && r.date <= to);
  return { from, to, window: rateWindow(sumCounts(days.map(countsOf))) };
}

/**
 * Judges every warming target's recent rates against its workspace's thresholds and pauses those in breach.
 * Paused targets are not looked at: a pause is sticky, and only an operator's resume lifts it.
 */
export async function pauseBreachingTargets(db: Database, env: Env, now: Date) {
  const summary = { checked: 0, paused: 0, below_minimum_volume: 0 };
  for (const type of TARGET_TYPES) {
    const targets = (await selectTargets(db, type, (t) => eq(t.warming_status, "warming"))).map((row) => ({ ...row, type }));
    if (targets.length === 0) continue;
    const since = targets.map((t) => windowDates(t, now).from).sort()[0];
    const rows = Map.groupBy(
      await progressRowsOf(
        db,
        type,
        targets.map((t) => t.id),
        since,
      ),
      (r) => r.target_id,
    );
    for (const target of targets) {
      summary.checked += 1;
      const { from, to, window } = windowOf(target, rows.get(target.id) ?? [], now);
      if (window.sent < THRESHOLD_MINIMUM_VOLUME) summary.below_minimum_volume += 1;
      const thresholds = resolveThresholds(target.settings);
      const verdict = evaluateThresholds(window, thresholds, THRESHOLD_MINIMUM_VOLUME);
      if (!verdict.breached) continue;
      await pauseWarming(
        db,
        env,
        refOf(target),
        verdict.reasons.join("; "),
        { window: { ...window, from, to }, thresholds, minimum_volume: THRESHOLD_MINIMUM_VOLUME },
        now,
      );
      summary.paused += 1;
    }
  }
  return summary;
}
