import type { ProviderSettings } from "../db/schema/infrastructure";
import type { ProbeResult, ProviderClient } from "./contract";
import type { ProviderCredentials, ProviderType } from "./credentials";
import { clientContext, DEFAULT_CLIENT_TIMEOUT_MS, describeError, globalFetch, redact, secretsOf } from "./http";
import { clientFor } from "./registry";

export interface ProbeOptions {
  fetch?: typeof fetch;
  timeoutMs?: number;
}

/**
 * Tests credentials against the provider's real API with a read-only call (or, for SMTP, a login). Never
 * throws: every failure, including the network's, comes back as `ok: false` with a reason that is safe to show.
 */
export async function probeProvider(
  type: ProviderType,
  credentials: ProviderCredentials,
  settings: ProviderSettings,
  options: ProbeOptions = {},
): Promise<ProbeResult> {
  const context = clientContext(settings, options.timeoutMs ?? DEFAULT_CLIENT_TIMEOUT_MS, options.fetch ?? globalFetch);
  const client = clientFor(type) as ProviderClient;
  let result: ProbeResult;
  try {
    result = await client.probe(credentials, context);
  } catch (error) {
    result = { ok: false, detail: describeError(error) };
  }
  return { ok: result.ok, detail: redact(result.detail, secretsOf(type, credentials)) };
}
