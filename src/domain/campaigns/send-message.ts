import { z } from "zod";

/** One recipient of a campaign run or a triggered send (SEND_QUEUE): the consumer claims it before sending. */
export const SendEmailMessageSchema = z.object({
  kind: z.literal("send_email"),
  workspace_id: z.string().min(1),
  campaign_id: z.string().min(1),
  recipient_id: z.string().min(1),
});

export type SendEmailMessage = z.infer<typeof SendEmailMessageSchema>;
