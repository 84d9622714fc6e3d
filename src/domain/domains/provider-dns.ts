/**
 * What each email provider asks a sending domain to publish beyond our own DKIM key: the SPF include that
 * authorises its servers, and the return-path (envelope MAIL FROM) host that receives its bounces. Values are
 * the ones in the providers' own setup guides.
 */
import type { providerTypes } from "../../db/schema/enums";

export type ProviderType = (typeof providerTypes)[number];

export interface ProviderDnsOptions {
  /** SES: the AWS region the account sends from (default us-east-1). Mailgun: "eu" for its EU region. */
  region?: string;
}

export interface ReturnPath {
  name: string;
  target: string;
  /**
   * How the host is published. Most providers take a CNAME to their bounce servers; SES's custom MAIL FROM
   * domain has to be an MX (its guide offers no CNAME form). Absent means CNAME.
   */
  type?: "CNAME" | "MX";
}

const SES_DEFAULT_REGION = "us-east-1";

const isEu = (options: ProviderDnsOptions) => options.region?.trim().toLowerCase() === "eu";

/** The domain for `include:` in the sending domain's SPF record; null where we cannot know the sending servers. */
export function spfIncludeFor(providerType: ProviderType, options: ProviderDnsOptions = {}): string | null {
  switch (providerType) {
    case "ses":
      return "amazonses.com";
    case "sendgrid":
      return "sendgrid.net";
    case "mailgun":
      return isEu(options) ? "eu.mailgun.org" : "mailgun.org";
    case "postmark":
      return "spf.mtasv.net";
    case "smtp":
    case "capture":
      return null;
  }
}

export function returnPathFor(domain: string, providerType: ProviderType, options: ProviderDnsOptions = {}): ReturnPath {
  switch (providerType) {
    case "ses":
      // SES "custom MAIL FROM domain": an MX at a subdomain pointing at the region's feedback endpoint.
      return {
        name: `bounce.${domain}`,
        target: `feedback-smtp.${options.region?.trim() || SES_DEFAULT_REGION}.amazonses.com`,
        type: "MX",
      };
    case "sendgrid":
      // Domain authentication without automated security: MX em.<domain> → mx.sendgrid.net. With automated
      // security SendGrid issues an account-specific u<id>.wl<n>.sendgrid.net CNAME that only its API knows.
      return { name: `em.${domain}`, target: "mx.sendgrid.net", type: "MX" };
    case "mailgun":
      // Mailgun's required CNAME (email.<domain>); its bounces come back through the same host.
      return { name: `email.${domain}`, target: isEu(options) ? "eu.mailgun.org" : "mailgun.org", type: "CNAME" };
    case "postmark":
      // Postmark's custom Return-Path: a subdomain CNAME to pm.mtasv.net.
      return { name: `pm-bounces.${domain}`, target: "pm.mtasv.net", type: "CNAME" };
    case "smtp":
    case "capture":
      // The relay is not known here: bounces.<domain> aliases the domain itself, so bounces reach the domain's
      // own MX and the envelope sender is covered by the domain's SPF record.
      return { name: `bounces.${domain}`, target: domain, type: "CNAME" };
  }
}
