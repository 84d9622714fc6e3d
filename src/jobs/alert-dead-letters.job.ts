import { inArray, isNull } from "drizzle-orm";
import { alerts, deadLetters, workspaces } from "../db/schema";
import { newId } from "../lib/ids";
import { CRON, type Job } from "./job";

const BATCH = 500;

/** Turns new dead letters into alerts (one per workspace and queue), so a dead message is never unnoticed. */
export const alertDeadLetters: Job = {
  name: "alert_dead_letters",
  description: "Raise an alert for queue messages that were dead-lettered since the last run",
  cron: CRON.everyMinute,
  async run({ db, now }) {
    const pending = await db.select().from(deadLetters).where(isNull(deadLetters.alerted_at)).limit(BATCH);
    if (pending.length === 0) return { dead_letters: 0, alerts_created: 0 };

    // A body may name a workspace that does not exist (or no longer does): its alert goes to the operator.
    const named = [...new Set(pending.map((d) => d.workspace_id).filter((w): w is string => w !== null))];
    const existing = new Set(
      named.length === 0
        ? []
        : (await db.select({ id: workspaces.id }).from(workspaces).where(inArray(workspaces.id, named))).map((w) => w.id),
    );
    const owner = (d: (typeof pending)[number]) => (d.workspace_id && existing.has(d.workspace_id) ? d.workspace_id : null);

    const groups = Map.groupBy(pending, (d) => `${owner(d) ?? ""}\u0000${d.queue}`);
    const newAlerts = [...groups.values()].map((letters) => ({
      id: newId("alr"),
      workspace_id: owner(letters[0]),
      severity: "warning" as const,
      alert_type: "dead_letters",
      target_type: "queue",
      target_id: letters[0].queue,
      message: `${letters.length} message(s) on ${letters[0].queue} could not be processed`,
      details: { dead_letter_ids: letters.map((d) => d.id), reasons: [...new Set(letters.map((d) => d.reason))] },
      created_at: now.toISOString(),
    }));
    await db.batch([
      db.insert(alerts).values(newAlerts),
      db
        .update(deadLetters)
        .set({ alerted_at: now.toISOString() })
        .where(
          inArray(
            deadLetters.id,
            pending.map((d) => d.id),
          ),
        ),
    ]);
    return { dead_letters: pending.length, alerts_created: newAlerts.length };
  },
};
