import { sql } from "drizzle-orm";
import { index, integer, real, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import type { RoutingConfig } from "./campaigns";
import { createdAt, id, timestamp, updatedAt } from "./columns";
import { domainStatuses, healthStatuses, poolMemberTypes, providerCheckStatuses, providerTypes, warmingStatuses } from "./enums";
import { warmingSchedules } from "./warming";
import { workspaceId } from "./workspaces";

export interface ProviderSettings {
  webhook_signing_key?: string;
  sandbox_mode?: boolean;
  tracking_enabled?: boolean;
  base_url?: string;
}

export interface DnsRecord {
  type: "TXT" | "CNAME" | "MX";
  name: string;
  value: string;
}

export interface BlacklistCheck {
  zone: string;
  /** unknown: the zone could not be asked or would not answer (error, timeout, refusal), so it says nothing. */
  status: "listed" | "not_listed" | "unknown";
  /** null when unknown. */
  listed: boolean | null;
  checked_at: string;
  detail?: string;
}

export const emailProviders = sqliteTable(
  "email_providers",
  {
    id: id(),
    workspace_id: workspaceId(),
    name: text().notNull(),
    provider_type: text({ enum: providerTypes }).notNull(),
    /** AES-GCM ciphertext of the provider's credential object; never returned by the API. */
    credentials: text().notNull(),
    settings: text({ mode: "json" }).$type<ProviderSettings>().notNull().default({}),
    max_sends_per_second: integer(),
    max_sends_per_day: integer(),
    current_daily_sends: integer().notNull().default(0),
    daily_sends_reset_at: timestamp(),
    priority: integer().notNull().default(100),
    is_default: integer({ mode: "boolean" }).notNull().default(false),
    last_check_at: timestamp(),
    last_check_status: text({ enum: providerCheckStatuses }),
    last_error: text(),
    created_at: createdAt(),
    updated_at: updatedAt(),
  },
  (t) => [index("email_providers_workspace_idx").on(t.workspace_id, t.priority)],
);

/** The warming and daily-cap state that sending domains and dedicated IPs share. */
const warmingState = () => ({
  warming_status: text({ enum: warmingStatuses }).notNull().default("not_started"),
  warming_schedule_id: text().references(() => warmingSchedules.id),
  warming_started_at: timestamp(),
  /**
   * What the warming days count from: the start, moved forward by each resume past the days the ramp was paused.
   * Null on rows resumed before it existed, whose warming_started_at was moved instead.
   */
  warming_days_counted_from: timestamp(),
  warming_day: integer().notNull().default(0),
  warming_paused_at: timestamp(),
  warming_pause_reason: text(),
  daily_limit: integer(),
  daily_sent: integer().notNull().default(0),
  daily_reset_at: timestamp(),
  health_score: real(),
  health_status: text({ enum: healthStatuses }),
});

export const sendingDomains = sqliteTable(
  "sending_domains",
  {
    id: id(),
    workspace_id: workspaceId(),
    domain: text().notNull(),
    subdomain: text(),
    status: text({ enum: domainStatuses }).notNull().default("pending"),
    dns_records: text({ mode: "json" }).$type<{ spf: DnsRecord; dkim: DnsRecord; dmarc: DnsRecord; return_path: DnsRecord }>().notNull(),
    dkim_selector: text().notNull(),
    dkim_public_key: text().notNull(),
    /** AES-GCM ciphertext of the PKCS#8 private key. */
    dkim_private_key: text().notNull(),
    verification_results: text({ mode: "json" }).$type<Record<string, unknown>>(),
    verified_at: timestamp(),
    ...warmingState(),
    default_from_name: text(),
    default_reply_to: text(),
    is_default: integer({ mode: "boolean" }).notNull().default(false),
    /**
     * Set when the domain's 24 h complaint rate passed the critical threshold: marketing sends (campaign runs)
     * stop routing through it until an operator lifts the pause; transactional (triggered) sends go on.
     */
    marketing_paused_at: timestamp(),
    marketing_pause_reason: text(),
    created_at: createdAt(),
    updated_at: updatedAt(),
  },
  // One row per sending host: a domain may be added again with another subdomain (mail., news.).
  (t) => [uniqueIndex("sending_domains_workspace_host_idx").on(t.workspace_id, t.domain, sql`coalesce(${t.subdomain}, '')`)],
);

export const sendingIdentities = sqliteTable(
  "sending_identities",
  {
    id: id(),
    workspace_id: workspaceId(),
    domain_id: text()
      .notNull()
      .references(() => sendingDomains.id, { onDelete: "cascade" }),
    email: text().notNull(),
    display_name: text(),
    reply_to: text(),
    is_default: integer({ mode: "boolean" }).notNull().default(false),
    created_at: createdAt(),
    updated_at: updatedAt(),
  },
  (t) => [uniqueIndex("sending_identities_workspace_email_idx").on(t.workspace_id, t.email)],
);

export const dedicatedIps = sqliteTable(
  "dedicated_ips",
  {
    id: id(),
    workspace_id: workspaceId(),
    ip_address: text().notNull(),
    hostname: text(),
    status: text({ enum: domainStatuses }).notNull().default("pending"),
    ...warmingState(),
    ptr_verified: integer({ mode: "boolean" }).notNull().default(false),
    blacklist_status: text({ mode: "json" }).$type<BlacklistCheck[]>().notNull().default([]),
    last_check_at: timestamp(),
    created_at: createdAt(),
    updated_at: updatedAt(),
  },
  (t) => [uniqueIndex("dedicated_ips_workspace_ip_idx").on(t.workspace_id, t.ip_address)],
);

export const sendingPools = sqliteTable(
  "sending_pools",
  {
    id: id(),
    workspace_id: workspaceId(),
    name: text().notNull(),
    description: text(),
    routing_config: text({ mode: "json" }).$type<RoutingConfig>().notNull().default({ strategy: "priority", fallback_enabled: true }),
    is_default: integer({ mode: "boolean" }).notNull().default(false),
    created_at: createdAt(),
    updated_at: updatedAt(),
  },
  (t) => [index("sending_pools_workspace_idx").on(t.workspace_id, t.id)],
);

export const sendingPoolMembers = sqliteTable(
  "sending_pool_members",
  {
    id: id(),
    workspace_id: workspaceId(),
    pool_id: text()
      .notNull()
      .references(() => sendingPools.id, { onDelete: "cascade" }),
    member_type: text({ enum: poolMemberTypes }).notNull(),
    domain_id: text().references(() => sendingDomains.id, { onDelete: "cascade" }),
    dedicated_ip_id: text().references(() => dedicatedIps.id, { onDelete: "cascade" }),
    weight: integer().notNull().default(1),
    priority: integer().notNull().default(100),
    created_at: createdAt(),
  },
  (t) => [index("sending_pool_members_pool_idx").on(t.pool_id)],
);

export type EmailProvider = typeof emailProviders.$inferSelect;
export type SendingDomain = typeof sendingDomains.$inferSelect;
export type SendingIdentity = typeof sendingIdentities.$inferSelect;
export type DedicatedIp = typeof dedicatedIps.$inferSelect;
export type SendingPool = typeof sendingPools.$inferSelect;
export type SendingPoolMember = typeof sendingPoolMembers.$inferSelect;
