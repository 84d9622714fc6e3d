import { AwsV4Signer } from "aws4fetch";
import { SendError } from "../domain/errors";
import type { ClientContext, ClientResponse, ProbeResult, ProviderClient } from "./contract";
import type { ProviderCredentials } from "./credentials";

export interface AwsSigningKey {
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  service: string;
}

export interface AwsRequest {
  method: string;
  url: string;
  /** Headers to send and sign besides host and x-amz-date. */
  headers?: Record<string, string>;
  body?: string | Uint8Array;
}

/** SES v2 GetAccount, as far as the probe reads it. */
interface SesAccount {
  SendingEnabled?: boolean;
  ProductionAccessEnabled?: boolean;
  EnforcementStatus?: string;
  SendQuota?: { Max24HourSend?: number; MaxSendRate?: number; SentLast24Hours?: number };
}

export function sesOrigin(region: string, baseUrl?: string): string {
  return (baseUrl ?? `https://email.${region}.amazonaws.com`).replace(/\/+$/, "");
}

/** Checks the keys with GetAccount, the one read-only SES v2 call every sending IAM policy can be given. */
export async function probeSes(credentials: ProviderCredentials<"ses">, context: ClientContext): Promise<ProbeResult> {
  const url = `${sesOrigin(credentials.region, context.settings.base_url)}/v2/email/account`;
  const headers = await signAwsRequest(
    { method: "GET", url },
    {
      accessKeyId: credentials.access_key_id,
      secretAccessKey: credentials.secret_access_key,
      region: credentials.region,
      service: "ses",
    },
  );
  const response = await context.request(url, { method: "GET", headers });
  if (response.status !== 200) return context.httpFailure(response, awsErrorMessage(response));
  const account = (response.body ?? {}) as SesAccount;
  const summary = describeAccount(account, credentials.region);
  // Valid keys on an account whose sending AWS has paused cannot send, which is what the probe is for.
  if (account.SendingEnabled === false) return { ok: false, detail: `sending is disabled for this account; ${summary}` };
  return { ok: true, detail: summary };
}

function describeAccount(account: SesAccount, region: string): string {
  const parts = [account.SendingEnabled === false ? `sending disabled in ${region}` : `sending enabled in ${region}`];
  parts.push(account.ProductionAccessEnabled ? "production access" : "sandbox (verified recipients only)");
  const quota = account.SendQuota;
  if (quota?.Max24HourSend !== undefined) {
    parts.push(
      `quota ${quota.Max24HourSend} per 24 h at ${quota.MaxSendRate ?? "?"}/s, ${quota.SentLast24Hours ?? 0} sent in the last 24 h`,
    );
  }
  if (account.EnforcementStatus) parts.push(`enforcement status ${account.EnforcementStatus}`);
  return parts.join("; ");
}

/** AWS REST-JSON errors carry the code in x-amzn-ErrorType ("Code:namespace") or __type, the reason in message. */
function awsErrorMessage(response: ClientResponse): string | undefined {
  const body = (typeof response.body === "object" && response.body !== null ? response.body : {}) as {
    message?: unknown;
    Message?: unknown;
    __type?: unknown;
  };
  const message = typeof body.message === "string" ? body.message : typeof body.Message === "string" ? body.Message : undefined;
  const type = response.headers.get("x-amzn-errortype") ?? (typeof body.__type === "string" ? body.__type : undefined);
  const code = type?.split(":")[0]?.split("#").pop();
  return [code, message].filter(Boolean).join(": ") || undefined;
}

/**
 * Signature Version 4 (header form) by aws4fetch: the headers to add to a request so AWS accepts it. `now` is a
 * parameter so AWS's published test vectors can check it.
 */
export async function signAwsRequest(request: AwsRequest, key: AwsSigningKey, now = new Date()): Promise<Record<string, string>> {
  const signer = new AwsV4Signer({
    method: request.method,
    url: request.url,
    headers: request.headers,
    body: request.body,
    accessKeyId: key.accessKeyId,
    secretAccessKey: key.secretAccessKey,
    region: key.region,
    service: key.service,
    datetime: now
      .toISOString()
      .replace(/[-:]/g, "")
      .replace(/\.\d{3}/, ""),
  });
  const signed = await signer.sign();
  const headers: Record<string, string> = {};
  signed.headers.forEach((value, name) => {
    if (name !== "host") headers[name] = value;
  });
  return headers;
}

export const sesClient: ProviderClient<"ses"> = {
  type: "ses",
  probe: probeSes,
  async send() {
    throw new SendError("config", "sending through ses is not built yet");
  },
  webhooks: null,
};
