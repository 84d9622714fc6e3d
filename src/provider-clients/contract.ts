import type { ProviderSettings } from "../db/schema/infrastructure";
import type { ProviderEvent } from "../domain/events/event-messages";
import type { ProviderCredentials, ProviderType } from "./credentials";

/**
 * The one interface every provider type implements. A module per type (ses, sendgrid, mailgun, postmark, smtp,
 * capture) exports one `ProviderClient`; registry.ts maps type → client. Modules import this file, http.ts and
 * their webhook receivers (src/domain/webhooks-in) only, never each other and never the registry, so there is no
 * import circle.
 */
export interface ProviderClient<T extends ProviderType = ProviderType> {
  type: T;
  /** A read-only call (or, for SMTP, a login) that proves the credentials can send. */
  probe(credentials: ProviderCredentials<T>, context: ClientContext): Promise<ProbeResult>;
  /**
   * Hands one message to the provider. Resolves with the provider's message id once it accepted the message;
   * rejects with a SendError (src/domain/errors.ts) that says whether to retry, fail the recipient, route
   * around the provider, or leave the outcome unknown.
   */
  send(message: OutgoingMessage, credentials: ProviderCredentials<T>, context: SendContext): Promise<SendReceipt>;
  /** The receiver of the provider's event webhook; null for transports that report no events (SMTP, capture). */
  webhooks: WebhookHandling | null;
}

/**
 * The provider's own webhook: authenticate the request as the provider specifies, then turn its body into
 * normalized events. Rejects with WebhookRejected (src/domain/webhooks-in/rejection.ts) when the request is not
 * the provider's (401) or not readable (400); unknown event kinds are not an error, they are listed in `ignored`.
 */
export interface WebhookHandling {
  receive(request: InboundWebhook, context: WebhookContext): Promise<ReceivedWebhook>;
}

export interface InboundWebhook {
  headers: Headers;
  /** The body exactly as sent: signatures cover these bytes. */
  bytes: Uint8Array;
  /** The same body as UTF-8 text. */
  text: string;
}

export interface WebhookContext {
  /** The provider's `settings.webhook_signing_key` in clear; null when none is set (then nothing verifies). */
  signingKey: string | null;
  now: Date;
  /** SNS: fetches signing certificates and confirms subscriptions. */
  fetch: typeof fetch;
  /** SNS: certificate hosts trusted besides `sns.<region>.amazonaws.com` (SNS_TRUSTED_CERT_HOSTS). */
  trustedCertHosts: readonly string[];
  /** Mailgun: records a token as used; false when it was used before (a replay). */
  claimReplayToken(token: string): Promise<boolean>;
}

/** One provider event normalized; the receiver adds the provider and workspace it arrived for. */
export type NormalizedProviderEvent = Omit<ProviderEvent, "kind" | "workspace_id" | "provider_id" | "provider_type"> & {
  /** The workspace id the send tagged the message with, checked against the provider's workspace. */
  tagged_workspace_id: string | null;
};

export interface ReceivedWebhook {
  events: NormalizedProviderEvent[];
  /** Event kinds the body held that Flarecast does not track: logged, not failed. */
  ignored: string[];
}

export interface ProbeResult {
  ok: boolean;
  /** human-readable, NEVER contains a credential value */
  detail: string;
}

/** A provider's answer: the status and the body, parsed when it is JSON and as text otherwise. */
export interface ClientResponse {
  status: number;
  headers: Headers;
  body: unknown;
}

/**
 * What each client is handed. The HTTP helpers come in here rather than being imported from the caller, so that
 * tests can give a client another fetch and a shorter timeout.
 */
export interface ClientContext {
  settings: ProviderSettings;
  timeoutMs: number;
  /** One request under the timeout. Throws ClientNetworkError on a network failure or timeout; any HTTP status is returned. */
  request(url: string, init: RequestInit): Promise<ClientResponse>;
  /** The probe result for a response that is not the success the probe wanted, with the provider's own reason. */
  httpFailure(response: ClientResponse, providerMessage?: string): ProbeResult;
}

/** The DKIM key a transport that signs itself (SMTP) signs with: the sending domain's. */
export interface DkimSigningKey {
  domain: string;
  selector: string;
  /** Base64 PKCS#8 DER of the RSA private key. */
  privateKeyPkcs8: string;
}

export interface SendContext extends ClientContext {
  /** The sending domain's key, for transports that sign the message themselves. */
  dkim: DkimSigningKey | null;
  /** Where the capture provider keeps what it would have sent. */
  captureStore: CaptureStore | null;
}

export interface CaptureStore {
  save(message: OutgoingMessage): Promise<string>;
}

/**
 * One message for one recipient, in both forms providers take: the whole RFC 5322 message (`raw`, for SES raw,
 * Mailgun `messages.mime`, SMTP and capture) and its parts (for SendGrid and Postmark's JSON APIs). Both carry
 * the same headers.
 */
export interface OutgoingMessage {
  /** The complete message with CRLF line endings, not DKIM-signed (SMTP signs it with `SendContext.dkim`). */
  raw: string;
  /** Our Message-ID, without angle brackets; providers that replace it still report theirs in the receipt. */
  messageId: string;
  from: { email: string; name?: string };
  replyTo?: string;
  to: { email: string; name?: string };
  subject: string;
  html: string;
  text: string;
  /** Extra headers in the order they appear in `raw`: List-Unsubscribe, List-Unsubscribe-Post, Feedback-ID… */
  headers: Record<string, string>;
  /** Ids that come back with the provider's events: campaign, recipient, workspace. */
  tags: { workspace_id: string; campaign_id: string; recipient_id: string };
  /** Bulk mail and one-to-one mail go through different lanes at some providers (Postmark's message streams). */
  stream: "broadcast" | "transactional";
}

export interface SendReceipt {
  /** The provider's id for the message: what its events will name. */
  providerMessageId: string;
}
