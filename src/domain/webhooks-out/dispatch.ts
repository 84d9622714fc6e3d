import type { Database } from "../../db/client";
import type { OutgoingEvent } from "./outgoing-event";

/** Hands the cascade's new events to the workspace's webhook endpoints (the outgoing-webhooks work fills this in). */
export async function queueOutgoingWebhooks(_db: Database, _env: Env, _events: OutgoingEvent[]): Promise<void> {
  return;
}
