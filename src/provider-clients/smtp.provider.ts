import { SendError } from "../domain/errors";
import type { ClientContext, ProbeResult, ProviderClient } from "./contract";
import type { ProviderCredentials } from "./credentials";
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

export const smtpClient: ProviderClient<"smtp"> = {
  type: "smtp",
  probe: probeSmtp,
  async send() {
    throw new SendError("config", "sending through smtp is not built yet");
  },
  webhooks: null,
};
