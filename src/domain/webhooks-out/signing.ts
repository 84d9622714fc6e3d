import { base64ToBytes, bytesToBase64 } from "../../lib/encoding";

/**
 * Standard Webhooks signing (https://www.standardwebhooks.com): a secret is `whsec_` + base64 of random bytes,
 * and a signature is `v1,` + base64 HMAC-SHA256 over `${webhook-id}.${webhook-timestamp}.${body}` keyed with
 * those bytes. Several signatures may share the header, space-separated, which is how a rotated secret keeps
 * verifying during its overlap.
 */
export const SECRET_PREFIX = "whsec_";
const SECRET_BYTES = 24;

export function generateWebhookSecret(): string {
  return SECRET_PREFIX + bytesToBase64(crypto.getRandomValues(new Uint8Array(SECRET_BYTES)));
}

const encoder = new TextEncoder();

export async function signWebhook(secret: string, id: string, timestampSeconds: number, body: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    base64ToBytes(secret.slice(SECRET_PREFIX.length)),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = await crypto.subtle.sign("HMAC", key, encoder.encode(`${id}.${timestampSeconds}.${body}`));
  return `v1,${bytesToBase64(mac)}`;
}

/** The `webhook-signature` header: one signature per secret still in force, the current one first. */
export async function signatureHeader(secrets: string[], id: string, timestampSeconds: number, body: string): Promise<string> {
  const signatures = await Promise.all(secrets.map((secret) => signWebhook(secret, id, timestampSeconds, body)));
  return signatures.join(" ");
}
