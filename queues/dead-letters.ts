import type { Database } from "../src/db/client";
import { deadLetters } from "../src/db/schema";
import { chunk, rowsPerInsert } from "../src/lib/chunk";
import { newId } from "../src/lib/ids";

export interface DeadMessage {
  message: Message<unknown>;
  reason: string;
}

const workspaceOf = (body: unknown) =>
  typeof body === "object" && body !== null && "workspace_id" in body && typeof body.workspace_id === "string" ? body.workspace_id : null;

/** Stores dead messages whole; a redelivered one (same queue and message id) is stored once. */
export async function recordDeadLetters(db: Database, queue: string, dead: DeadMessage[]): Promise<void> {
  const rows = dead.map(({ message, reason }) => ({
    id: newId("dlq"),
    workspace_id: workspaceOf(message.body),
    queue,
    message_id: message.id,
    body: message.body,
    attempts: message.attempts,
    reason,
  }));
  const statements = chunk(rows, rowsPerInsert(9)).map((part) =>
    db
      .insert(deadLetters)
      .values(part)
      .onConflictDoNothing({ target: [deadLetters.queue, deadLetters.message_id] }),
  );
  const [first, ...rest] = statements;
  if (first) await db.batch([first, ...rest]);
}

/** Malformed messages are recorded as dead letters and acknowledged at once: retrying cannot fix them. */
export async function deadLetterMalformed(db: Database, queue: string, malformed: DeadMessage[]): Promise<void> {
  if (malformed.length === 0) return;
  await recordDeadLetters(db, queue, malformed);
  for (const { message } of malformed) message.ack();
}
