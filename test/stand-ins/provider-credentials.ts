/**
 * The credentials the local provider stand-ins accept. Shared by the stand-ins (Node) and the tests (workerd),
 * so it holds plain data only.
 */
export const STAND_IN_CREDENTIALS = {
  ses: {
    access_key_id: "AKIAFLARECASTTEST01",
    secret_access_key: "fcSesSecret/9f3k2LmQpR7sT1uVwX4yZ0aB6cD8eF",
    region: "eu-west-1",
  },
  /** The one SES configuration set the stand-in knows; sends naming another get NotFoundException. */
  sesConfigurationSet: "flarecast-events",
  sendgrid: { api_key: "SG.flarecast-test.9f3k2LmQpR7sT1uVwX4yZ0aB6cD8eFgH" },
  /** A valid SendGrid key restricted to reading the profile: it authenticates but may not send. */
  sendgridReadOnly: { api_key: "SG.flarecast-read-only.Zq8wXe3RtY6uIo9pAs2dFg5hJk" },
  mailgun: { api_key: "fc-mailgun-key-4c7e1a9b2d5f8e0a3b6c9d2e5f8a1b4c", domain: "mg.flarecast.test", region: "us" as const },
  /** Known to the stand-in but not active yet: its DNS records were never verified. */
  mailgunUnverifiedDomain: "pending.flarecast.test",
  postmark: { server_token: "7c0f3e2a-fc00-4d1b-9e8a-flarecast0001", message_stream: "outbound" },
  postmarkBroadcastStream: "newsletters",
  postmarkArchivedStream: "old-stream",
  smtp: { username: "flarecast@smtp.test", password: "fc-smtp pass:9f3k2L" },
} as const;

/** Ports of the extra SMTP servers, chosen by the global setup and handed to the tests with `inject`. */
export interface SmtpStandInPorts {
  /** Offers AUTH LOGIN only, so a client must fall back from PLAIN. */
  loginOnly: number;
  /** TLS from the first byte, with smtp-server's built-in self-signed certificate. */
  implicitTls: number;
  /** Accepts connections and never says a word, to exercise timeouts. */
  silent: number;
  /** Was free when the setup ran and nothing listens on it. */
  closed: number;
  /** Does not offer PIPELINING, so a client must wait for each reply; accepts messages up to 50,000 bytes. */
  noPipelining: number;
  /** Offers STARTTLS with a certificate workerd trusts (the test CA's), so the upgrade completes. */
  trustedStartTls: number;
  /** TLS from the first byte with a certificate workerd trusts. */
  trustedImplicitTls: number;
  /** HTTP: GET /messages?to=<address> lists what the SMTP stand-ins received for it (ReceivedSmtpMessage[]). */
  received: number;
}

declare module "vitest" {
  export interface ProvidedContext {
    smtpStandInPorts: SmtpStandInPorts;
  }
}
