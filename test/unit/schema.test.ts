import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import * as enums from "../../src/db/schema/enums";

/** The fields the spec (shared/seed/email-marketing-spec.md) lists per model, by the table that holds them. */
const SPEC_FIELDS: Record<string, string[]> = {
  email_templates: [
    "name",
    "slug",
    "category",
    "template_type",
    "subject_template",
    "body_html",
    "body_text",
    "preview_text",
    "variables",
    "visual_definition",
    "is_active",
    "version",
  ],
  email_campaigns: [
    "name",
    "description",
    "campaign_type",
    "status",
    "scheduled_at",
    "list_id",
    "audience_filters",
    "send_window",
    "from_name",
    "from_email",
    "reply_to",
    "template_context",
    "sending_pool_id",
    "sending_identity_id",
    "routing_config",
    "total_recipients",
    "sent_count",
    "delivered_count",
    "open_count",
    "unique_open_count",
    "click_count",
    "unique_click_count",
    "bounce_count",
    "unsubscribe_count",
    "complaint_count",
    "started_at",
    "completed_at",
    "created_at",
    "updated_at",
  ],
  campaign_recipients: ["campaign_id", "record_id", "subscriber_id", "email", "recipient_name", "context", "status"],
  email_providers: [
    "name",
    "provider_type",
    "credentials",
    "settings",
    "max_sends_per_second",
    "max_sends_per_day",
    "current_daily_sends",
    "daily_sends_reset_at",
    "priority",
    "is_default",
    "last_check_at",
    "last_check_status",
    "last_error",
  ],
  sending_domains: [
    "domain",
    "subdomain",
    "status",
    "dns_records",
    "warming_status",
    "warming_schedule_id",
    "warming_started_at",
    "warming_day",
    "daily_limit",
    "daily_sent",
    "daily_reset_at",
    "default_from_name",
    "default_reply_to",
    "health_score",
    "health_status",
    "is_default",
  ],
  sending_identities: ["domain_id", "email", "display_name"],
  dedicated_ips: [
    "ip_address",
    "hostname",
    "blacklist_status",
    "status",
    "warming_status",
    "warming_schedule_id",
    "warming_started_at",
    "warming_day",
    "daily_limit",
    "daily_sent",
    "daily_reset_at",
    "health_score",
    "health_status",
  ],
  sending_pools: ["name", "routing_config"],
  sending_pool_members: ["pool_id", "member_type", "domain_id", "dedicated_ip_id"],
  warming_schedules: ["name", "steps"],
  warming_progress: [
    "target_type",
    "target_id",
    "date",
    "warming_day",
    "daily_limit",
    "sent_count",
    "bounce_rate",
    "complaint_rate",
    "delivery_rate",
  ],
  isp_metrics: ["isp", "target_id", "date", "inbox_placement_rate"],
  subscribers: ["email", "name", "status", "preference_token", "frequency", "unsubscribe_source"],
  subscriber_category_preferences: ["subscriber_id", "category_id", "subscribed"],
  list_imports: ["list_id", "status", "total_rows", "processed_rows"],
  list_import_errors: ["import_id", "row_number", "value", "reason"],
  subscriber_lists: ["name"],
  list_memberships: ["list_id", "subscriber_id"],
  categories: ["slug", "name", "description"],
  suppressions: ["email", "domain", "reason"],
  provider_event_logs: ["provider_id", "provider_event_id", "event_type", "payload", "occurred_at"],
  tracking_events: ["campaign_id", "recipient_id", "event_type", "url", "occurred_at"],
  onboarding_flows: ["name", "slug", "steps"],
  user_onboarding_progress: ["flow_id", "current_step", "completed_at", "decisions"],
  automation_rules: ["trigger", "conditions", "actions"],
  visual_builder_blocks: ["name", "definition", "default_props"],
  visual_builder_designs: ["name", "design"],
  alerts: ["severity", "alert_type", "message"],
  workspaces: ["name", "slug", "timezone", "postal_address"],
  api_keys: ["name", "prefix", "key_hash", "revoked_at"],
};

/** Tables that are not owned by one workspace (or may not be: built-in schedules, operator alerts). */
// analytics_watermarks: one rollup position for the whole platform; webhook_replay_tokens: keyed by the provider,
// which belongs to one workspace.
const GLOBAL_TABLES = new Set(["workspaces", "dead_letters", "job_runs", "d1_migrations", "analytics_watermarks", "webhook_replay_tokens"]);

async function columnsOf(table: string): Promise<string[]> {
  const { results } = await env.DB.prepare(`select name from pragma_table_info(?)`).bind(table).all<{ name: string }>();
  return results.map((r) => r.name);
}

async function tables(): Promise<string[]> {
  const { results } = await env.DB.prepare(
    "select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name not like '_cf_%'",
  ).all<{ name: string }>();
  return results.map((r) => r.name);
}

describe("the migrated schema", () => {
  it.each(Object.entries(SPEC_FIELDS))("%s has every field the spec names", async (table, fields) => {
    const columns = await columnsOf(table);
    expect(columns, `${table} is missing`).not.toHaveLength(0);
    expect(fields.filter((f) => !columns.includes(f))).toEqual([]);
  });

  it("gives every tenant table a workspace_id", async () => {
    const missing: string[] = [];
    for (const table of await tables()) {
      if (!GLOBAL_TABLES.has(table) && !(await columnsOf(table)).includes("workspace_id")) missing.push(table);
    }
    expect(missing).toEqual([]);
  });

  it("indexes the hot queries of the flows", async () => {
    const { results } = await env.DB.prepare("select tbl_name, name, sql from sqlite_master where type = 'index' and sql is not null").all<{
      tbl_name: string;
      name: string;
      sql: string;
    }>();
    const index = (name: string) => results.find((r) => r.name === name)?.sql ?? "";
    expect(index("campaign_recipients_campaign_status_idx")).toMatch(/\(`campaign_id`,`status`\)/);
    expect(index("subscribers_workspace_email_idx")).toMatch(/^CREATE UNIQUE INDEX .*\(`workspace_id`,`email`\)/);
    expect(index("tracking_events_campaign_received_idx")).toMatch(/\(`campaign_id`,`received_at`\)/);
    expect(index("provider_event_logs_provider_event_idx")).toMatch(/^CREATE UNIQUE INDEX .*`provider_event_id`/);
  });
});

describe("enums", () => {
  it("carry the spec's values in lowercase snake_case", () => {
    expect(enums.campaignStatuses).toEqual(["draft", "scheduled", "sending", "sent", "paused", "cancelled"]);
    expect(enums.campaignTypes).toEqual(["one_time", "recurring", "triggered"]);
    expect(enums.templateCategories).toEqual(["general", "marketing", "onboarding", "release", "transactional", "newsletter"]);
    expect(enums.subscriptionFrequencies).toEqual(["immediate", "daily", "weekly", "monthly"]);
    expect(enums.unsubscribeSources).toEqual(["link", "preference_center", "api", "complaint", "bounce"]);
    expect(enums.healthStatuses).toEqual(["excellent", "good", "fair", "poor", "critical"]);
    expect(enums.domainStatuses).toEqual(["pending", "verifying", "verified", "failed", "paused", "warming", "active"]);
    expect(enums.eventTypes).toEqual([
      "send",
      "delivery",
      "bounce",
      "complaint",
      "reject",
      "open",
      "click",
      "unsubscribe",
      "rendering_failure",
      "delivery_delay",
    ]);
    for (const status of ["pending", "sent", "delivered", "opened", "clicked", "bounced", "unsubscribed", "failed"]) {
      expect(enums.recipientStatuses).toContain(status);
    }
    for (const type of ["ses", "sendgrid", "mailgun", "postmark", "smtp"]) expect(enums.providerTypes).toContain(type);
  });
});
