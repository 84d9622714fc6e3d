import { z } from "zod";

/** WEBHOOK_QUEUE body: one delivery row, which holds everything the consumer sends. */
export const WebhookDeliveryMessageSchema = z.object({
  kind: z.literal("webhook_delivery"),
  delivery_id: z.string().min(1),
});
export type WebhookDeliveryMessage = z.infer<typeof WebhookDeliveryMessageSchema>;

export const webhookDeliveryMessage = (deliveryId: string): WebhookDeliveryMessage => ({
  kind: "webhook_delivery",
  delivery_id: deliveryId,
});
