/**
 * Why a webhook request was refused. `unauthenticated` (401): the signature, credentials or certificate do not
 * prove the provider sent it, or it is stale or replayed. `malformed` (400): it cannot be read as the provider's
 * format at all. `unavailable` (503): it could not be checked now (the SNS certificate host did not answer), so the
 * provider should deliver it again later. The detail goes to the caller, so it names what failed and never a secret.
 */
export class WebhookRejected extends Error {
  override name = "WebhookRejected";
  constructor(
    readonly kind: "unauthenticated" | "malformed" | "unavailable",
    readonly detail: string,
  ) {
    super(detail);
  }
}

export const unauthenticated = (detail: string) => new WebhookRejected("unauthenticated", detail);
export const malformed = (detail: string) => new WebhookRejected("malformed", detail);
export const unavailable = (detail: string) => new WebhookRejected("unavailable", detail);
