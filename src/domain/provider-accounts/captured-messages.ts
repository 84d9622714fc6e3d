import type { Database } from "../../db/client";
import { capturedMessages } from "../../db/schema";
import { newId } from "../../lib/ids";
import type { CaptureStore } from "../../provider-clients/contract";

export function captureStoreFor(db: Database, workspaceId: string, providerId: string): CaptureStore {
  return {
    async save(message) {
      await db
        .insert(capturedMessages)
        .values({
          id: newId("msg"),
          workspace_id: workspaceId,
          provider_id: providerId,
          message_id: message.messageId,
          campaign_id: message.tags.campaign_id,
          recipient_id: message.tags.recipient_id,
          from_email: message.from.email,
          to_email: message.to.email,
          subject: message.subject,
          raw: message.raw,
          size_bytes: new TextEncoder().encode(message.raw).length,
        })
        .onConflictDoNothing();
      return message.messageId;
    },
  };
}
