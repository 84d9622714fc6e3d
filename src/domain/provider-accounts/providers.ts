import { and, asc, eq, inArray, ne } from "drizzle-orm";
import type { Database } from "../../db/client";
import { type EmailProvider, emailProviders, type ProviderSettings } from "../../db/schema";
import { providerTypes } from "../../db/schema/enums";
import { openSecret, sealSecret } from "../../lib/crypto";
import { newId } from "../../lib/ids";
import { findInWorkspace } from "../../lib/lookups";
import { keysetPage, type Page } from "../../lib/pagination";
import type { ProbeResult } from "../../provider-clients/contract";
import {
  credentialKeysSet,
  type ProviderCredentials,
  type ProviderType,
  providerCredentialSchemas,
} from "../../provider-clients/credentials";
import { probeProvider } from "../../provider-clients/probe";
import { invalidFields } from "../errors";
import { assertProviderUnused } from "../pools/usage";
import { configureProviderLimits, utcDayStart } from "./provider-limits";

/** Settings as a client sends them; the webhook signing key is a secret like the credentials. */
export interface ProviderSettingsInput {
  webhook_signing_key?: string | null;
  sandbox_mode?: boolean;
  tracking_enabled?: boolean;
  base_url?: string | null;
}

export interface ProviderInput {
  name: string;
  provider_type: ProviderType;
  credentials: ProviderCredentials;
  settings?: ProviderSettingsInput;
  max_sends_per_second?: number | null;
  max_sends_per_day?: number | null;
  priority?: number;
  is_default?: boolean;
}

export type ProviderChanges = Partial<Omit<ProviderInput, "provider_type" | "credentials">> & {
  /** Merged into the stored credentials, then validated for the provider's type: rotate one key, keep the rest. */
  credentials?: Record<string, unknown>;
};

/** What the API may show of a provider: which credential keys are set, never their values. */
export interface ProviderView extends Omit<EmailProvider, "credentials" | "settings"> {
  credentials_set: Record<string, boolean>;
  settings: Omit<ProviderSettings, "webhook_signing_key"> & { webhook_signing_key_set: boolean };
}

export interface SecretsContext {
  encryptionKey: string;
}

const credentialsBinding = (id: string) => `provider:${id}:credentials`;
const signingKeyBinding = (id: string) => `provider:${id}:webhook_signing_key`;

async function sealSettings(keys: SecretsContext, id: string, current: ProviderSettings, input: ProviderSettingsInput | undefined) {
  const next: ProviderSettings = { ...current };
  for (const [key, value] of Object.entries(input ?? {}) as [keyof ProviderSettingsInput, unknown][]) {
    if (value === undefined) continue;
    if (value === null) delete next[key];
    else if (key === "webhook_signing_key")
      next.webhook_signing_key = await sealSecret(keys.encryptionKey, value as string, signingKeyBinding(id));
    else (next as Record<string, unknown>)[key] = value;
  }
  return next;
}

async function toView(keys: SecretsContext, provider: EmailProvider, now = new Date()): Promise<ProviderView> {
  const { credentials, settings, ...rest } = provider;
  const { webhook_signing_key, ...visible } = settings;
  return {
    ...rest,
    // The mirror is written when sends are taken; before the first send of a UTC day it still holds yesterday's.
    current_daily_sends: provider.daily_sends_reset_at === utcDayStart(now) ? provider.current_daily_sends : 0,
    credentials_set: credentialKeysSet(await openCredentials(keys, provider)),
    settings: { ...visible, webhook_signing_key_set: webhook_signing_key !== undefined },
  };
}

export async function openCredentials(keys: SecretsContext, provider: EmailProvider): Promise<ProviderCredentials> {
  return JSON.parse(await openSecret(keys.encryptionKey, provider.credentials, credentialsBinding(provider.id)));
}

/** The webhook signing secret in clear, for verifying a provider's inbound events. */
export async function openWebhookSigningKey(keys: SecretsContext, provider: EmailProvider): Promise<string | null> {
  const sealed = provider.settings.webhook_signing_key;
  return sealed ? openSecret(keys.encryptionKey, sealed, signingKeyBinding(provider.id)) : null;
}

/** A workspace has at most one default provider: making one the default demotes the others. */
async function demoteOtherDefaults(db: Database, workspaceId: string, keepId: string) {
  await db
    .update(emailProviders)
    .set({ is_default: false })
    .where(and(eq(emailProviders.workspace_id, workspaceId), ne(emailProviders.id, keepId), eq(emailProviders.is_default, true)));
}

export async function createProvider(
  db: Database,
  env: Env,
  keys: SecretsContext,
  workspaceId: string,
  input: ProviderInput,
): Promise<ProviderView> {
  const id = newId("prv");
  const [provider] = await db
    .insert(emailProviders)
    .values({
      id,
      workspace_id: workspaceId,
      name: input.name,
      provider_type: input.provider_type,
      credentials: await sealSecret(keys.encryptionKey, JSON.stringify(input.credentials), credentialsBinding(id)),
      settings: await sealSettings(keys, id, {}, input.settings),
      max_sends_per_second: input.max_sends_per_second ?? null,
      max_sends_per_day: input.max_sends_per_day ?? null,
      priority: input.priority ?? 100,
      is_default: input.is_default ?? false,
    })
    .returning();
  if (provider.is_default) await demoteOtherDefaults(db, workspaceId, id);
  await configureProviderLimits(env, provider);
  return toView(keys, provider);
}

export async function getProviderRow(db: Database, workspaceId: string, id: string): Promise<EmailProvider> {
  return findInWorkspace(db, emailProviders, workspaceId, id, "Provider");
}

export const getProvider = async (db: Database, keys: SecretsContext, workspaceId: string, id: string) =>
  toView(keys, await getProviderRow(db, workspaceId, id));

/**
 * Entries of a preferred_providers list name a provider type (ses, postmark …) or one of the workspace's
 * providers by id; anything else would be ignored by the router without a word, so it is refused with its path.
 */
export async function checkPreferredProviders(
  db: Database,
  workspaceId: string,
  entries: readonly string[] | undefined,
  path: string,
): Promise<void> {
  const ids = [...new Set((entries ?? []).filter((entry) => !(providerTypes as readonly string[]).includes(entry)))];
  if (ids.length === 0) return;
  const known = new Set(
    (
      await db
        .select({ id: emailProviders.id })
        .from(emailProviders)
        .where(and(eq(emailProviders.workspace_id, workspaceId), inArray(emailProviders.id, ids)))
    ).map((p) => p.id),
  );
  const errors = (entries ?? []).flatMap((entry, i) =>
    (providerTypes as readonly string[]).includes(entry) || known.has(entry)
      ? []
      : [
          {
            location: "body" as const,
            path: `${path}.${i}`,
            message: `no provider with this id in the workspace, and not a provider type (${providerTypes.join(", ")})`,
          },
        ],
  );
  if (errors.length > 0) throw invalidFields("some preferred providers are unknown", errors);
}

export async function listProviderRows(db: Database, workspaceId: string): Promise<EmailProvider[]> {
  return db
    .select()
    .from(emailProviders)
    .where(eq(emailProviders.workspace_id, workspaceId))
    .orderBy(asc(emailProviders.priority), asc(emailProviders.id));
}

export async function listProviders(
  db: Database,
  keys: SecretsContext,
  workspaceId: string,
  limit: number,
  cursor?: string,
): Promise<Page<ProviderView>> {
  const page = await keysetPage(
    (after) =>
      db
        .select()
        .from(emailProviders)
        .where(and(eq(emailProviders.workspace_id, workspaceId), after)),
    { key: emailProviders.id, limit, cursor },
  );
  return { ...page, data: await Promise.all(page.data.map((p) => toView(keys, p))) };
}

export async function updateProvider(
  db: Database,
  env: Env,
  keys: SecretsContext,
  workspaceId: string,
  id: string,
  changes: ProviderChanges,
): Promise<ProviderView> {
  const current = await getProviderRow(db, workspaceId, id);
  const set: Partial<typeof emailProviders.$inferInsert> = {};
  if (changes.name !== undefined) set.name = changes.name;
  if (changes.credentials !== undefined) {
    const merged = { ...(await openCredentials(keys, current)), ...changes.credentials };
    const parsed = providerCredentialSchemas[current.provider_type].safeParse(merged);
    if (!parsed.success) {
      const errors = parsed.error.issues.map((issue) => ({
        location: "body" as const,
        path: ["credentials", ...issue.path].join("."),
        message: issue.message,
      }));
      throw invalidFields(`credentials are not valid for a ${current.provider_type} provider`, errors);
    }
    set.credentials = await sealSecret(keys.encryptionKey, JSON.stringify(parsed.data), credentialsBinding(id));
    // New credentials have not been probed: the last check speaks of the old ones.
    Object.assign(set, { last_check_at: null, last_check_status: null, last_error: null });
  }
  if (changes.settings !== undefined) set.settings = await sealSettings(keys, id, current.settings, changes.settings);
  if (changes.max_sends_per_second !== undefined) set.max_sends_per_second = changes.max_sends_per_second;
  if (changes.max_sends_per_day !== undefined) set.max_sends_per_day = changes.max_sends_per_day;
  if (changes.priority !== undefined) set.priority = changes.priority;
  if (changes.is_default !== undefined) set.is_default = changes.is_default;
  if (Object.keys(set).length === 0) return toView(keys, current);
  const [provider] = await db.update(emailProviders).set(set).where(eq(emailProviders.id, id)).returning();
  if (changes.is_default) await demoteOtherDefaults(db, workspaceId, id);
  if (changes.max_sends_per_second !== undefined || changes.max_sends_per_day !== undefined) await configureProviderLimits(env, provider);
  return toView(keys, provider);
}

/** Refused while a pool or a campaign that may still send prefers the provider by id. */
export async function deleteProvider(db: Database, workspaceId: string, id: string): Promise<void> {
  const provider = await getProviderRow(db, workspaceId, id);
  await assertProviderUnused(db, workspaceId, id, `Provider ${provider.name}`);
  await db.delete(emailProviders).where(eq(emailProviders.id, id));
}

/** Probes the stored credentials against the provider's API and records the outcome as the provider's health. */
export async function testProvider(
  db: Database,
  keys: SecretsContext,
  workspaceId: string,
  id: string,
  now: Date,
  probe: typeof probeProvider = probeProvider,
): Promise<{ result: ProbeResult; provider: ProviderView }> {
  const provider = await getProviderRow(db, workspaceId, id);
  const settings = { ...provider.settings, webhook_signing_key: undefined };
  const result = await probe(provider.provider_type, await openCredentials(keys, provider), settings);
  const [updated] = await db
    .update(emailProviders)
    .set({ last_check_at: now.toISOString(), last_check_status: result.ok ? "ok" : "failed", last_error: result.ok ? null : result.detail })
    .where(eq(emailProviders.id, id))
    .returning();
  return { result, provider: await toView(keys, updated) };
}
