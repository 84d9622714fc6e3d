import { SendError } from "../domain/errors";
import { signDkim } from "../mail/dkim-sign";
import type { ClientContext, DkimSigningKey, OutgoingMessage, ProbeResult, ProviderClient, SendContext, SendReceipt } from "./contract";
import type { ProviderCredentials } from "./credentials";
import { describeError, redact, secretsOf } from "./http";
import { SmtpError, SmtpSession } from "./smtp-session";

const TRANSPORTS = { implicit: "implicit TLS", starttls: "STARTTLS", none: "an unencrypted connection" } as const;

/**
 * Logs in and quits: AUTH is the only step that proves the credentials, and nothing is sent. SMTP has no
 * base_url: host and port are part of the credentials.
 */
export async function probeSmtp(credentials: ProviderCredentials<"smtp">, context: ClientContext): Promise<ProbeResult> {
  const where = `${credentials.host}:${credentials.port}`;
  let session: SmtpSession | undefined;
  try {
    session = await SmtpSession.open({
      host: credentials.host,
      port: credentials.port,
      tls: credentials.tls,
      timeoutMs: context.timeoutMs,
    });
    const mechanism = await session.authenticate(credentials.username, credentials.password);
    await session.quit();
    return {
      ok: true,
      detail: `authenticated as ${credentials.username} at ${where} with AUTH ${mechanism} over ${TRANSPORTS[credentials.tls]}`,
    };
  } catch (error) {
    await session?.close();
    if (error instanceof SmtpError) return { ok: false, detail: `${where}: ${error.message}` };
    throw error;
  }
}

/**
 * Logs in, hands over one message (DKIM-signed with the sending domain's key when there is one) and quits. The
 * receipt is our own Message-ID: a relay's "queued as" id names its queue entry only, while bounces and
 * complaints that come back by mail name the Message-ID.
 */
export async function sendSmtp(
  message: OutgoingMessage,
  credentials: ProviderCredentials<"smtp">,
  context: SendContext,
): Promise<SendReceipt> {
  const raw = context.dkim ? await sign(message.raw, context.dkim) : message.raw;
  let session: SmtpSession | undefined;
  let authenticating = false;
  try {
    session = await SmtpSession.open({
      host: credentials.host,
      port: credentials.port,
      tls: credentials.tls,
      timeoutMs: context.timeoutMs,
    });
    authenticating = true;
    await session.authenticate(credentials.username, credentials.password);
    authenticating = false;
    await session.sendMail({ from: message.from.email, to: message.to.email }, raw);
    await session.quit();
    return { providerMessageId: message.messageId };
  } catch (error) {
    await session?.close();
    if (!(error instanceof SmtpError)) throw error;
    const reason = redact(`${credentials.host}:${credentials.port}: ${error.message}`, secretsOf("smtp", credentials));
    throw new SendError(sendFailureKind(error, authenticating), reason);
  }
}

/** A key WebCrypto cannot import is the sending domain's setup to fix, not this message's fault. */
async function sign(raw: string, key: DkimSigningKey): Promise<string> {
  try {
    return await signDkim(raw, key);
  } catch (error) {
    throw new SendError("config", `the DKIM key of ${key.domain} cannot sign: ${describeError(error)}`);
  }
}

/**
 * What a failed step means for the message: a lost connection after the final "." leaves the outcome unknown;
 * network failures and 4xx replies (421 included) are worth retrying; refused credentials or a server unusable as
 * configured (5xx to the greeting or EHLO, no STARTTLS, no AUTH) are the account's problem; and a 5xx to MAIL,
 * RCPT, DATA or the message refuses this message for good.
 */
function sendFailureKind(error: SmtpError, authenticating: boolean): SendError["kind"] {
  if (error.outcomeUnknown) return "unknown";
  if (error.failure === "network") return "retryable";
  const code = error.reply?.code ?? 0;
  if (code >= 400 && code < 500) return "retryable";
  if (authenticating || [530, 534, 535, 538].includes(code)) return "config";
  return error.transactionStep ? "permanent" : "config";
}

export const smtpClient: ProviderClient<"smtp"> = {
  type: "smtp",
  probe: probeSmtp,
  send: sendSmtp,
  webhooks: null,
};
