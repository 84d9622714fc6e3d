import { base64ToBytes } from "../../lib/encoding";
import { LruCache } from "../../lib/lru-cache";
import type { InboundWebhook, ReceivedWebhook, WebhookContext } from "../../provider-clients/contract";
import { pemCertificateToDer, readCertificate } from "./der";
import { isObject, type Json, parseJsonBody, stringAt } from "./fields";
import { malformed, unauthenticated, unavailable } from "./rejection";
import { normalizeSesEvent } from "./ses";

/** Where SNS keeps its signing certificates (and serves SubscribeURL): sns.<region>.amazonaws.com, .cn in China. */
const AWS_SNS_HOST = /^sns\.[a-zA-Z0-9-]{3,}\.amazonaws\.com(\.cn)?$/;
const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** The fields each message type signs, in signing order (Subject only when the notification has one). */
const SIGNED_FIELDS: Record<string, readonly string[]> = {
  Notification: ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"],
  SubscriptionConfirmation: ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"],
  UnsubscribeConfirmation: ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"],
};

const HASH_BY_SIGNATURE_VERSION: Record<string, "SHA-1" | "SHA-256"> = { "1": "SHA-1", "2": "SHA-256" };

/** A certificate is a few KB; anything much larger served as one is not. */
const MAX_CERTIFICATE_BYTES = 64 * 1024;
const CERTIFICATE_FETCH_TIMEOUT_MS = 5_000;

/** `Name\nValue\n` for each signed field, or the name of the first required field missing. */
export function snsStringToSign(envelope: Json): { text: string } | { missing: string } {
  const type = stringAt(envelope, "Type") ?? "";
  let text = "";
  for (const name of SIGNED_FIELDS[type] ?? []) {
    const value = envelope[name];
    if (name === "Subject" && value === undefined) continue;
    if (typeof value !== "string") return { missing: name };
    text += `${name}\n${value}\n`;
  }
  return { text };
}

/**
 * An SNS URL we may fetch: https on an SNS host, or on a host named in SNS_TRUSTED_CERT_HOSTS (plain http is allowed
 * only for a trusted loopback host: a local stand-in). Null for anything else.
 */
export function trustedSnsUrl(raw: string, trustedHosts: readonly string[]): URL | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  if (url.username || url.password) return null;
  const trusted = trustedHosts.includes(url.host) || trustedHosts.includes(url.hostname);
  if (url.protocol === "https:") return AWS_SNS_HOST.test(url.host) || trusted ? url : null;
  return url.protocol === "http:" && trusted && LOOPBACK_HOSTS.has(url.hostname) ? url : null;
}

interface VerificationKey {
  key: CryptoKey;
  notBefore: Date;
  notAfter: Date;
}

/** Verification keys by certificate URL and hash, per isolate: SNS signs with few certificates, rotated rarely. */
const verificationKeys = new LruCache<Promise<VerificationKey>>(32);

/**
 * The certificate's key, or a rejection: `unavailable` when the host could not answer now (network, timeout, 5xx,
 * 429), so SNS delivers the message again; `unauthenticated` when what it served is not a usable certificate.
 */
async function fetchCertificateKey(url: URL, hash: "SHA-1" | "SHA-256", context: WebhookContext): Promise<VerificationKey> {
  let response: Response;
  try {
    response = await context.fetch(url.toString(), { signal: AbortSignal.timeout(CERTIFICATE_FETCH_TIMEOUT_MS) });
  } catch (err) {
    console.warn(`SNS webhook: fetching the signing certificate ${url} failed`, err);
    throw unavailable("The SNS signing certificate could not be fetched; deliver the message again later");
  }
  if (response.status >= 500 || response.status === 429) {
    throw unavailable(`The SNS signing certificate host answered ${response.status}; deliver the message again later`);
  }
  const pem = response.ok ? await response.text() : "";
  if (!response.ok || pem.length > MAX_CERTIFICATE_BYTES) {
    throw unauthenticated(`The SNS signing certificate URL answered ${response.status}`);
  }
  const der = pemCertificateToDer(pem);
  const certificate = der && readCertificate(der);
  if (!certificate) throw unauthenticated("The SNS signing certificate is not a PEM X.509 certificate");
  const key = await crypto.subtle.importKey("spki", certificate.spki, { name: "RSASSA-PKCS1-v1_5", hash }, false, ["verify"]);
  return { key, notBefore: certificate.notBefore, notAfter: certificate.notAfter };
}

function verificationKey(url: URL, hash: "SHA-1" | "SHA-256", context: WebhookContext): Promise<VerificationKey> {
  const cacheKey = `${hash} ${url}`;
  return verificationKeys.getOrCreate(cacheKey, () => {
    const key = fetchCertificateKey(url, hash, context);
    // A failure is not remembered: the next message fetches again.
    key.catch(() => verificationKeys.delete(cacheKey));
    return key;
  });
}

/**
 * Verifies an SNS message's signature (versions 1 and 2) with the certificate at its SigningCertURL, after checking
 * that URL names an SNS host. Returns the verified envelope; rejects otherwise.
 */
export async function verifySnsEnvelope(text: string, context: WebhookContext): Promise<Json> {
  const envelope = parseJsonBody(text);
  if (!isObject(envelope)) throw malformed("The body is not an SNS message");
  const type = stringAt(envelope, "Type");
  if (!type || !SIGNED_FIELDS[type]) throw malformed(`Unknown SNS message type ${JSON.stringify(type)}`);
  const stringToSign = snsStringToSign(envelope);
  if ("missing" in stringToSign) throw malformed(`The SNS ${type} has no ${stringToSign.missing}`);

  const hash = HASH_BY_SIGNATURE_VERSION[stringAt(envelope, "SignatureVersion") ?? ""];
  if (!hash) throw unauthenticated("Unsupported SNS SignatureVersion");
  const certUrl = trustedSnsUrl(stringAt(envelope, "SigningCertURL") ?? "", context.trustedCertHosts);
  if (!certUrl?.pathname.endsWith(".pem")) throw unauthenticated("SigningCertURL is not an SNS certificate URL");
  let signature: Uint8Array;
  try {
    signature = base64ToBytes(stringAt(envelope, "Signature") ?? "");
  } catch {
    throw unauthenticated("The SNS signature is not base64");
  }

  const { key, notBefore, notAfter } = await verificationKey(certUrl, hash, context);
  // Checked on every message, not when fetched: a cached certificate can expire while it is cached.
  if (context.now < notBefore || context.now > notAfter) {
    throw unauthenticated(`The SNS signing certificate is valid from ${notBefore.toISOString()} to ${notAfter.toISOString()}, not now`);
  }
  const valid = await crypto.subtle.verify("RSASSA-PKCS1-v1_5", key, signature, new TextEncoder().encode(stringToSign.text));
  if (!valid) throw unauthenticated("The SNS signature does not verify");
  return envelope;
}

/**
 * SES events through SNS: verify the envelope, confirm a subscription by fetching its SubscribeURL (only once the
 * confirmation is verified, and only on an SNS or trusted host), and normalize a notification's SES event.
 */
export async function receiveSesWebhook(request: InboundWebhook, context: WebhookContext): Promise<ReceivedWebhook> {
  const envelope = await verifySnsEnvelope(request.text, context);
  const type = stringAt(envelope, "Type");
  if (type === "SubscriptionConfirmation") {
    const subscribeUrl = trustedSnsUrl(stringAt(envelope, "SubscribeURL") ?? "", context.trustedCertHosts);
    if (!subscribeUrl) throw unauthenticated("SubscribeURL is not an SNS URL");
    // A failed confirmation is logged, not answered with an error: SNS does not resend it, the operator asks again.
    try {
      const response = await context.fetch(subscribeUrl.toString(), { signal: AbortSignal.timeout(CERTIFICATE_FETCH_TIMEOUT_MS) });
      if (!response.ok) console.error(`SNS webhook: confirming ${stringAt(envelope, "TopicArn")} answered ${response.status}`);
    } catch (err) {
      console.error(`SNS webhook: confirming ${stringAt(envelope, "TopicArn")} failed`, err);
    }
    return { events: [], ignored: [] };
  }
  if (type === "UnsubscribeConfirmation") return { events: [], ignored: [type] };

  const message = parseMessage(stringAt(envelope, "Message") ?? "");
  if (!isObject(message) || !(typeof message.eventType === "string" || typeof message.notificationType === "string")) {
    // A verified notification that is not an SES event (the console's test message, another publisher on the topic).
    return { events: [], ignored: ["SNS notification without an SES event"] };
  }
  return normalizeSesEvent(message);
}

function parseMessage(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
