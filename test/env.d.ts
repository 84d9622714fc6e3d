import type { D1Migration } from "cloudflare:test";

declare global {
  namespace Cloudflare {
    interface Env {
      TEST_MIGRATIONS: D1Migration[];
      /** Base URL of the local HTTP stand-ins of SES, SendGrid, Mailgun and Postmark (test/stand-ins). */
      TEST_PROVIDER_HTTP_URL: string;
      /** Port of the local SMTP server (test/stand-ins). */
      TEST_SMTP_PORT: string;
    }
  }
}
