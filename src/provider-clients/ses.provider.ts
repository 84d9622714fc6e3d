import { AwsV4Signer } from "aws4fetch";
import type { SendFailureKind } from "../domain/errors";
import { receiveSesWebhook } from "../domain/webhooks-in/sns";
import { textToBase64 } from "../lib/encoding";
import type { ClientContext, ClientResponse, OutgoingMessage, ProbeResult, ProviderClient, SendContext, SendReceipt } from "./contract";
import type { ProviderCredentials } from "./credentials";
import { guardedSend, missingMessageId, sendFailure, sendRequest } from "./http";

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
function awsError(response: ClientResponse): { code?: string; message?: string } {
  const body = (typeof response.body === "object" && response.body !== null ? response.body : {}) as {
    message?: unknown;
    Message?: unknown;
    __type?: unknown;
  };
  const message = typeof body.message === "string" ? body.message : typeof body.Message === "string" ? body.Message : undefined;
  const type = response.headers.get("x-amzn-errortype") ?? (typeof body.__type === "string" ? body.__type : undefined);
  const code = type?.split(":")[0]?.split("#").pop() || undefined;
  return { code, message };
}

function awsErrorMessage(response: ClientResponse): string | undefined {
  const { code, message } = awsError(response);
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

/** SES v2 SendEmail error codes whose meaning the HTTP status alone does not carry. */
const SES_SEND_ERROR_KINDS: Record<string, SendFailureKind> = {
  TooManyRequestsException: "retryable",
  LimitExceededException: "retryable",
  // The account cannot send at all until someone acts on it: route around it.
  SendingPausedException: "config",
  AccountSuspendedException: "config",
  // The configuration set named in the credentials does not exist.
  NotFoundException: "config",
  MessageRejected: "permanent",
  MailFromDomainNotVerifiedException: "permanent",
};

/** EmailTags values may hold only ASCII letters, digits, underscores and dashes. */
const tagValue = (value: string) => value.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 256) || "_";

/** SES v2 SendEmail with the whole MIME message as raw content, so SES sends exactly the headers we built. */
export async function sendSes(
  message: OutgoingMessage,
  credentials: ProviderCredentials<"ses">,
  context: SendContext,
): Promise<SendReceipt> {
  const url = `${sesOrigin(credentials.region, context.settings.base_url)}/v2/email/outbound-emails`;
  const body = JSON.stringify({
    FromEmailAddress: message.from.email,
    Destination: { ToAddresses: [message.to.email] },
    Content: { Raw: { Data: textToBase64(message.raw) } },
    ...(credentials.configuration_set ? { ConfigurationSetName: credentials.configuration_set } : {}),
    EmailTags: (["campaign_id", "recipient_id", "workspace_id"] as const).map((name) => ({
      Name: name,
      Value: tagValue(message.tags[name]),
    })),
  });
  const headers = {
    "content-type": "application/json",
    ...(await signAwsRequest(
      { method: "POST", url, headers: { "content-type": "application/json" }, body },
      {
        accessKeyId: credentials.access_key_id,
        secretAccessKey: credentials.secret_access_key,
        region: credentials.region,
        service: "ses",
      },
    )),
  };
  const response = await sendRequest(context, url, { method: "POST", headers, body });
  if (response.status !== 200) {
    const { code } = awsError(response);
    throw sendFailure(response, awsErrorMessage(response), code ? SES_SEND_ERROR_KINDS[code] : undefined);
  }
  const messageId = (response.body as { MessageId?: unknown } | null)?.MessageId;
  if (typeof messageId !== "string" || !messageId) throw missingMessageId("ses");
  return { providerMessageId: messageId };
}

export const sesClient: ProviderClient<"ses"> = {
  type: "ses",
  probe: probeSes,
  send: (message, credentials, context) => guardedSend("ses", credentials, () => sendSes(message, credentials, context)),
  webhooks: { receive: receiveSesWebhook },
};
