import { z } from "@hono/zod-openapi";
import type { providerTypes } from "../db/schema/enums";

export type ProviderType = (typeof providerTypes)[number];

/** A secret is accepted from the API but never shown again, so the document marks it write-only. */
const secret = (description: string) => z.string().min(1).max(1024).openapi({ description, writeOnly: true });

/** Pasted keys often carry a stray newline or space; none of the providers' key formats contain whitespace. */
const secretKey = (description: string) =>
  z.string().trim().min(1).max(1024).regex(/^\S+$/, "must not contain whitespace").openapi({ description, writeOnly: true });

const hostname = z
  .string()
  .trim()
  .toLowerCase()
  .min(1)
  .max(253)
  .regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/, "must be a host name");

export const sesCredentialsSchema = z
  .strictObject({
    access_key_id: z
      .string()
      .trim()
      .regex(/^[A-Z0-9]{16,128}$/, "must be an AWS access key id (16 to 128 upper-case letters and digits)")
      .openapi({ example: "AKIAIOSFODNN7EXAMPLE" }),
    secret_access_key: secretKey("AWS secret access key of an IAM user allowed ses:GetAccount and ses:SendEmail"),
    region: z
      .string()
      .trim()
      .regex(/^[a-z]{2}(-[a-z]+)+-\d{1,2}$/, "must be an AWS region such as us-east-1")
      .openapi({ example: "us-east-1" }),
    configuration_set: z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9_-]{1,64}$/, "must be an SES configuration set name")
      .optional()
      .openapi({ description: "Configuration set every send names (ConfigurationSetName): where SES publishes the events" }),
  })
  .openapi("SesCredentials");

export const sendgridCredentialsSchema = z
  .strictObject({ api_key: secretKey("SendGrid API key with the mail.send scope") })
  .openapi("SendgridCredentials");

export const mailgunCredentialsSchema = z
  .strictObject({
    api_key: secretKey("Mailgun private API key or a domain sending key"),
    domain: hostname.openapi({ description: "Sending domain as registered in Mailgun", example: "mg.example.com" }),
    region: z.enum(["us", "eu"]).default("us").openapi({ description: "Mailgun region the domain lives in" }),
  })
  .openapi("MailgunCredentials");

export const postmarkCredentialsSchema = z
  .strictObject({
    server_token: secretKey("Postmark server API token"),
    message_stream: z
      .string()
      .trim()
      .min(1)
      .max(100)
      .regex(/^[A-Za-z0-9_-]+$/, "must be a message stream id")
      .default("outbound")
      .openapi({ description: "Message stream transactional sends (triggered campaigns, test sends) go through" }),
    broadcast_stream: z
      .string()
      .trim()
      .min(1)
      .max(100)
      .regex(/^[A-Za-z0-9_-]+$/, "must be a message stream id")
      .optional()
      .openapi({ description: 'Broadcasts message stream campaign sends go through; "broadcast" when not set' }),
  })
  .openapi("PostmarkCredentials");

export const smtpCredentialsSchema = z
  .strictObject({
    host: hostname.openapi({ example: "smtp.example.com" }),
    port: z
      .number()
      .int()
      .min(1)
      .max(65535)
      .openapi({ description: "587 for STARTTLS, 465 for implicit TLS; Workers may not open connections to port 25", example: 587 }),
    // A line break would end the AUTH exchange early and let the rest run as SMTP commands.
    username: z
      .string()
      .min(1)
      .max(1024)
      // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what this refuses.
      .regex(/^[^\u0000-\u001f\u007f]+$/, "must not contain control characters"),
    // Not trimmed: leading and trailing spaces can be part of a password.
    password: secret("SMTP password"),
    tls: z
      .enum(["implicit", "starttls", "none"])
      .default("starttls")
      .openapi({ description: "implicit: TLS from the first byte (port 465); starttls: upgrade after EHLO (587); none: plain text" }),
  })
  .openapi("SmtpCredentials");

export const captureCredentialsSchema = z.strictObject({}).openapi("CaptureCredentials", {
  description: "The built-in capture provider stores messages locally and takes no credentials",
});

export const providerCredentialSchemas = {
  ses: sesCredentialsSchema,
  sendgrid: sendgridCredentialsSchema,
  mailgun: mailgunCredentialsSchema,
  postmark: postmarkCredentialsSchema,
  smtp: smtpCredentialsSchema,
  capture: captureCredentialsSchema,
} satisfies Record<ProviderType, z.ZodType>;

export type ProviderCredentials<T extends ProviderType = ProviderType> = z.infer<(typeof providerCredentialSchemas)[T]>;

/** The keys whose values must never appear in a response, a log line or an error message. */
export const secretCredentialKeys: { readonly [T in ProviderType]: readonly (keyof ProviderCredentials<T>)[] } = {
  ses: ["secret_access_key"],
  sendgrid: ["api_key"],
  mailgun: ["api_key"],
  postmark: ["server_token"],
  smtp: ["password"],
  capture: [],
};

/** Which credential keys are set, for API responses that must never show a secret: { api_key: true, domain: true, region: true } */
export function credentialKeysSet(credentials: Record<string, unknown>): Record<string, boolean> {
  return Object.fromEntries(
    Object.entries(credentials).map(([key, value]) => [key, value !== undefined && value !== null && value !== ""]),
  );
}
