import { eq } from "drizzle-orm";
import type { Database } from "../../db/client";
import { type EmailProvider, emailProviders, type SendingDomain } from "../../db/schema";
import type { OutgoingMessage, ProviderClient, SendContext, SendReceipt } from "../../provider-clients/contract";
import type { ProviderCredentials } from "../../provider-clients/credentials";
import {
  ClientNetworkError,
  clientContext,
  DEFAULT_CLIENT_TIMEOUT_MS,
  globalFetch,
  oneLine,
  redact,
  secretsOf,
} from "../../provider-clients/http";
import { clientFor } from "../../provider-clients/registry";
import { openDkimPrivateKey, sendingHost } from "../domains/sending-domains";
import { SendError } from "../errors";
import { captureStoreFor } from "../provider-accounts/captured-messages";
import { openCredentials } from "../provider-accounts/providers";
import { forgetSendingSetups } from "./sending-setup";

export interface ProviderSessionOptions {
  encryptionKey: string;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

/**
 * The providers and sending domains one batch sends through: credentials opened and DKIM keys unsealed once per
 * batch, not once per recipient.
 */
export class ProviderSession {
  private providers = new Map<string, EmailProvider>();
  private credentials = new Map<string, Promise<ProviderCredentials>>();
  private dkimKeys = new Map<string, Promise<string>>();
  private domains = new Map<string, SendingDomain>();

  constructor(
    private readonly db: Database,
    private readonly workspaceId: string,
    private readonly options: ProviderSessionOptions,
  ) {}

  /** The provider and domain rows this session may send through, as the batch's sending setup holds them. */
  adopt(providers: readonly EmailProvider[], domains: readonly SendingDomain[]): void {
    for (const p of providers) this.providers.set(p.id, p);
    for (const d of domains) this.domains.set(d.id, d);
  }

  provider(id: string): EmailProvider | undefined {
    return this.providers.get(id);
  }

  domain(id: string): SendingDomain | undefined {
    return this.domains.get(id);
  }

  /**
   * Sends through a provider. Every failure comes back as a SendError: anything a client throws that is not one
   * (a bug, a runtime error mid-request) is treated as `unknown`, since the message may already have left.
   */
  async send(providerId: string, domainId: string, message: OutgoingMessage): Promise<SendReceipt> {
    const provider = this.providers.get(providerId);
    const domain = this.domains.get(domainId);
    if (!provider || !domain) throw new SendError("config", `provider ${providerId} or domain ${domainId} no longer exists`);
    let credentials: ProviderCredentials;
    try {
      credentials = await this.openCredentials(provider);
    } catch {
      throw new SendError("config", `the credentials of provider ${provider.name} cannot be read with the current ENCRYPTION_KEY`);
    }
    const context: SendContext = {
      ...clientContext(provider.settings, this.options.timeoutMs ?? DEFAULT_CLIENT_TIMEOUT_MS, this.options.fetch ?? globalFetch),
      dkim: provider.provider_type === "smtp" ? await this.dkimKey(domain) : null,
      captureStore: provider.provider_type === "capture" ? captureStoreFor(this.db, this.workspaceId, provider.id) : null,
    };
    const client = clientFor(provider.provider_type) as ProviderClient;
    try {
      return await client.send(message, credentials, context);
    } catch (error) {
      throw asSendError(error, secretsOf(provider.provider_type, credentials));
    }
  }

  /** Takes the provider out of routing until its next successful probe: its account cannot send. */
  async markUnhealthy(providerId: string, reason: string, now: Date): Promise<void> {
    forgetSendingSetups(this.workspaceId);
    await this.db
      .update(emailProviders)
      .set({ last_check_status: "failed", last_error: reason, last_check_at: now.toISOString() })
      .where(eq(emailProviders.id, providerId));
  }

  private openCredentials(provider: EmailProvider): Promise<ProviderCredentials> {
    let opened = this.credentials.get(provider.id);
    if (!opened) {
      opened = openCredentials({ encryptionKey: this.options.encryptionKey }, provider);
      this.credentials.set(provider.id, opened);
    }
    return opened;
  }

  private async dkimKey(domain: SendingDomain) {
    let key = this.dkimKeys.get(domain.id);
    if (!key) {
      key = openDkimPrivateKey(this.options.encryptionKey, domain);
      this.dkimKeys.set(domain.id, key);
    }
    return { domain: sendingHost(domain), selector: domain.dkim_selector, privateKeyPkcs8: await key };
  }
}

function asSendError(error: unknown, secrets: string[]): SendError {
  if (error instanceof SendError) return new SendError(error.kind, redact(error.reason, secrets), error.retryAfterMs);
  if (error instanceof ClientNetworkError)
    return new SendError(error.timedOut ? "unknown" : "retryable", redact(oneLine(error.message), secrets));
  const message = error instanceof Error ? error.message : String(error);
  return new SendError("unknown", redact(oneLine(`the send failed unexpectedly: ${message}`), secrets));
}
