CREATE TABLE `categories` (
	`id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`slug` text NOT NULL,
	`name` text NOT NULL,
	`description` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `categories_workspace_slug_idx` ON `categories` (`workspace_id`,`slug`);--> statement-breakpoint
CREATE TABLE `list_memberships` (
	`workspace_id` text NOT NULL,
	`list_id` text NOT NULL,
	`subscriber_id` text NOT NULL,
	`created_at` text NOT NULL,
	PRIMARY KEY(`list_id`, `subscriber_id`),
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`list_id`) REFERENCES `subscriber_lists`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`subscriber_id`) REFERENCES `subscribers`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `list_memberships_subscriber_idx` ON `list_memberships` (`subscriber_id`);--> statement-breakpoint
CREATE TABLE `subscriber_category_preferences` (
	`workspace_id` text NOT NULL,
	`subscriber_id` text NOT NULL,
	`category_id` text NOT NULL,
	`subscribed` integer DEFAULT true NOT NULL,
	`frequency` text DEFAULT 'immediate' NOT NULL,
	`updated_at` text NOT NULL,
	PRIMARY KEY(`subscriber_id`, `category_id`),
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`subscriber_id`) REFERENCES `subscribers`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`category_id`) REFERENCES `categories`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `subscriber_lists` (
	`id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`name` text NOT NULL,
	`description` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `subscriber_lists_workspace_idx` ON `subscriber_lists` (`workspace_id`,`id`);--> statement-breakpoint
CREATE TABLE `subscribers` (
	`id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`email` text NOT NULL,
	`name` text,
	`status` text DEFAULT 'active' NOT NULL,
	`preference_token` text NOT NULL,
	`attributes` text DEFAULT '{}' NOT NULL,
	`unsubscribed_at` text,
	`unsubscribe_source` text,
	`bounced_at` text,
	`complained_at` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `subscribers_workspace_email_idx` ON `subscribers` (`workspace_id`,`email`);--> statement-breakpoint
CREATE INDEX `subscribers_workspace_status_idx` ON `subscribers` (`workspace_id`,`status`);--> statement-breakpoint
CREATE TABLE `subscription_changes` (
	`id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`subscriber_id` text NOT NULL,
	`campaign_id` text,
	`action` text NOT NULL,
	`source` text NOT NULL,
	`details` text,
	`created_at` text NOT NULL,
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`subscriber_id`) REFERENCES `subscribers`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `subscription_changes_subscriber_idx` ON `subscription_changes` (`subscriber_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `suppressions` (
	`id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`email` text,
	`domain` text,
	`email_hash` text,
	`reason` text NOT NULL,
	`source_campaign_id` text,
	`note` text,
	`created_at` text NOT NULL,
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `suppressions_workspace_email_idx` ON `suppressions` (`workspace_id`,`email`);--> statement-breakpoint
CREATE UNIQUE INDEX `suppressions_workspace_domain_idx` ON `suppressions` (`workspace_id`,`domain`);--> statement-breakpoint
CREATE UNIQUE INDEX `suppressions_workspace_hash_idx` ON `suppressions` (`workspace_id`,`email_hash`);--> statement-breakpoint
CREATE TABLE `automation_rules` (
	`id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`name` text NOT NULL,
	`trigger` text NOT NULL,
	`conditions` text,
	`actions` text NOT NULL,
	`is_active` integer DEFAULT true NOT NULL,
	`trigger_count` integer DEFAULT 0 NOT NULL,
	`last_triggered_at` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `automation_rules_trigger_idx` ON `automation_rules` (`workspace_id`,`trigger`);--> statement-breakpoint
CREATE TABLE `campaign_recipients` (
	`id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`campaign_id` text NOT NULL,
	`record_id` text,
	`subscriber_id` text,
	`email` text NOT NULL,
	`recipient_name` text,
	`context` text DEFAULT '{}' NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`failure_reason` text,
	`provider_id` text,
	`provider_message_id` text,
	`sending_domain_id` text,
	`attempts` integer DEFAULT 0 NOT NULL,
	`open_count` integer DEFAULT 0 NOT NULL,
	`click_count` integer DEFAULT 0 NOT NULL,
	`sent_at` text,
	`delivered_at` text,
	`opened_at` text,
	`clicked_at` text,
	`bounced_at` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`campaign_id`) REFERENCES `email_campaigns`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `campaign_recipients_campaign_status_idx` ON `campaign_recipients` (`campaign_id`,`status`);--> statement-breakpoint
CREATE UNIQUE INDEX `campaign_recipients_campaign_email_idx` ON `campaign_recipients` (`campaign_id`,`email`);--> statement-breakpoint
CREATE INDEX `campaign_recipients_provider_message_idx` ON `campaign_recipients` (`provider_message_id`);--> statement-breakpoint
CREATE INDEX `campaign_recipients_subscriber_idx` ON `campaign_recipients` (`workspace_id`,`subscriber_id`);--> statement-breakpoint
CREATE TABLE `email_campaigns` (
	`id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`name` text NOT NULL,
	`description` text,
	`campaign_type` text DEFAULT 'one_time' NOT NULL,
	`status` text DEFAULT 'draft' NOT NULL,
	`template_id` text,
	`template_version` integer,
	`category_slug` text,
	`scheduled_at` text,
	`recurrence_cron` text,
	`list_id` text,
	`audience_filters` text,
	`send_window` text,
	`from_name` text,
	`from_email` text,
	`reply_to` text,
	`template_context` text DEFAULT '{}' NOT NULL,
	`sending_pool_id` text,
	`sending_identity_id` text,
	`routing_config` text,
	`total_recipients` integer DEFAULT 0 NOT NULL,
	`sent_count` integer DEFAULT 0 NOT NULL,
	`delivered_count` integer DEFAULT 0 NOT NULL,
	`open_count` integer DEFAULT 0 NOT NULL,
	`unique_open_count` integer DEFAULT 0 NOT NULL,
	`click_count` integer DEFAULT 0 NOT NULL,
	`unique_click_count` integer DEFAULT 0 NOT NULL,
	`bounce_count` integer DEFAULT 0 NOT NULL,
	`unsubscribe_count` integer DEFAULT 0 NOT NULL,
	`complaint_count` integer DEFAULT 0 NOT NULL,
	`failed_count` integer DEFAULT 0 NOT NULL,
	`started_at` text,
	`completed_at` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`template_id`) REFERENCES `email_templates`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE INDEX `email_campaigns_workspace_idx` ON `email_campaigns` (`workspace_id`,`id`);--> statement-breakpoint
CREATE INDEX `email_campaigns_due_idx` ON `email_campaigns` (`status`,`scheduled_at`);--> statement-breakpoint
CREATE TABLE `provider_event_logs` (
	`id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`provider_id` text NOT NULL,
	`provider_type` text NOT NULL,
	`provider_event_id` text NOT NULL,
	`event_type` text NOT NULL,
	`bounce_type` text,
	`provider_message_id` text,
	`recipient_email` text,
	`campaign_id` text,
	`recipient_id` text,
	`reason` text,
	`payload` text NOT NULL,
	`occurred_at` text NOT NULL,
	`received_at` text NOT NULL,
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `provider_event_logs_provider_event_idx` ON `provider_event_logs` (`provider_id`,`provider_event_id`);--> statement-breakpoint
CREATE INDEX `provider_event_logs_message_idx` ON `provider_event_logs` (`provider_message_id`);--> statement-breakpoint
CREATE INDEX `provider_event_logs_campaign_idx` ON `provider_event_logs` (`campaign_id`,`occurred_at`);--> statement-breakpoint
CREATE TABLE `tracking_events` (
	`id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`campaign_id` text NOT NULL,
	`recipient_id` text NOT NULL,
	`subscriber_id` text,
	`event_type` text NOT NULL,
	`url` text,
	`user_agent` text,
	`device_type` text,
	`email_client` text,
	`ip_country` text,
	`is_machine_open` integer DEFAULT false NOT NULL,
	`occurred_at` text NOT NULL,
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `tracking_events_campaign_time_idx` ON `tracking_events` (`campaign_id`,`occurred_at`);--> statement-breakpoint
CREATE INDEX `tracking_events_subscriber_idx` ON `tracking_events` (`workspace_id`,`subscriber_id`,`event_type`,`occurred_at`);--> statement-breakpoint
CREATE TABLE `dedicated_ips` (
	`id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`ip_address` text NOT NULL,
	`hostname` text,
	`status` text DEFAULT 'pending' NOT NULL,
	`warming_status` text DEFAULT 'not_started' NOT NULL,
	`warming_schedule_id` text,
	`warming_started_at` text,
	`warming_day` integer DEFAULT 0 NOT NULL,
	`warming_paused_at` text,
	`warming_pause_reason` text,
	`daily_limit` integer,
	`daily_sent` integer DEFAULT 0 NOT NULL,
	`daily_reset_at` text,
	`health_score` real,
	`health_status` text,
	`ptr_verified` integer DEFAULT false NOT NULL,
	`blacklist_status` text DEFAULT '[]' NOT NULL,
	`last_check_at` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`warming_schedule_id`) REFERENCES `warming_schedules`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `dedicated_ips_workspace_ip_idx` ON `dedicated_ips` (`workspace_id`,`ip_address`);--> statement-breakpoint
CREATE TABLE `email_providers` (
	`id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`name` text NOT NULL,
	`provider_type` text NOT NULL,
	`credentials` text NOT NULL,
	`settings` text DEFAULT '{}' NOT NULL,
	`max_sends_per_second` integer,
	`max_sends_per_day` integer,
	`current_daily_sends` integer DEFAULT 0 NOT NULL,
	`daily_sends_reset_at` text,
	`priority` integer DEFAULT 100 NOT NULL,
	`is_default` integer DEFAULT false NOT NULL,
	`last_check_at` text,
	`last_check_status` text,
	`last_error` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `email_providers_workspace_idx` ON `email_providers` (`workspace_id`,`priority`);--> statement-breakpoint
CREATE TABLE `sending_domains` (
	`id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`domain` text NOT NULL,
	`subdomain` text,
	`status` text DEFAULT 'pending' NOT NULL,
	`dns_records` text NOT NULL,
	`dkim_selector` text NOT NULL,
	`dkim_public_key` text NOT NULL,
	`dkim_private_key` text NOT NULL,
	`verification_results` text,
	`verified_at` text,
	`warming_status` text DEFAULT 'not_started' NOT NULL,
	`warming_schedule_id` text,
	`warming_started_at` text,
	`warming_day` integer DEFAULT 0 NOT NULL,
	`warming_paused_at` text,
	`warming_pause_reason` text,
	`daily_limit` integer,
	`daily_sent` integer DEFAULT 0 NOT NULL,
	`daily_reset_at` text,
	`health_score` real,
	`health_status` text,
	`default_from_name` text,
	`default_reply_to` text,
	`is_default` integer DEFAULT false NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`warming_schedule_id`) REFERENCES `warming_schedules`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `sending_domains_workspace_domain_idx` ON `sending_domains` (`workspace_id`,`domain`);--> statement-breakpoint
CREATE TABLE `sending_identities` (
	`id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`domain_id` text NOT NULL,
	`email` text NOT NULL,
	`display_name` text,
	`reply_to` text,
	`is_default` integer DEFAULT false NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`domain_id`) REFERENCES `sending_domains`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `sending_identities_workspace_email_idx` ON `sending_identities` (`workspace_id`,`email`);--> statement-breakpoint
CREATE TABLE `sending_pool_members` (
	`id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`pool_id` text NOT NULL,
	`member_type` text NOT NULL,
	`domain_id` text,
	`dedicated_ip_id` text,
	`weight` integer DEFAULT 1 NOT NULL,
	`priority` integer DEFAULT 100 NOT NULL,
	`created_at` text NOT NULL,
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`pool_id`) REFERENCES `sending_pools`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`domain_id`) REFERENCES `sending_domains`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`dedicated_ip_id`) REFERENCES `dedicated_ips`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `sending_pool_members_pool_idx` ON `sending_pool_members` (`pool_id`);--> statement-breakpoint
CREATE TABLE `sending_pools` (
	`id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`name` text NOT NULL,
	`description` text,
	`routing_config` text DEFAULT '{"strategy":"priority","fallback_enabled":true}' NOT NULL,
	`is_default` integer DEFAULT false NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `sending_pools_workspace_idx` ON `sending_pools` (`workspace_id`,`id`);--> statement-breakpoint
CREATE TABLE `onboarding_flows` (
	`id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`name` text NOT NULL,
	`slug` text NOT NULL,
	`description` text,
	`steps` text NOT NULL,
	`is_active` integer DEFAULT true NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `onboarding_flows_workspace_slug_idx` ON `onboarding_flows` (`workspace_id`,`slug`);--> statement-breakpoint
CREATE TABLE `user_onboarding_progress` (
	`id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`flow_id` text NOT NULL,
	`subscriber_id` text,
	`record_id` text,
	`status` text DEFAULT 'active' NOT NULL,
	`current_step` integer DEFAULT 0 NOT NULL,
	`next_step_at` text,
	`decisions` text DEFAULT '{}' NOT NULL,
	`completed_steps` text DEFAULT '[]' NOT NULL,
	`started_at` text NOT NULL,
	`completed_at` text,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`flow_id`) REFERENCES `onboarding_flows`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `user_onboarding_progress_due_idx` ON `user_onboarding_progress` (`status`,`next_step_at`);--> statement-breakpoint
CREATE UNIQUE INDEX `user_onboarding_progress_flow_subscriber_idx` ON `user_onboarding_progress` (`flow_id`,`subscriber_id`);--> statement-breakpoint
CREATE TABLE `alerts` (
	`id` text PRIMARY KEY NOT NULL,
	`workspace_id` text,
	`severity` text NOT NULL,
	`alert_type` text NOT NULL,
	`target_type` text,
	`target_id` text,
	`message` text NOT NULL,
	`details` text,
	`acknowledged_at` text,
	`created_at` text NOT NULL,
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `alerts_workspace_idx` ON `alerts` (`workspace_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `dead_letters` (
	`id` text PRIMARY KEY NOT NULL,
	`workspace_id` text,
	`queue` text NOT NULL,
	`message_id` text NOT NULL,
	`body` text,
	`attempts` integer NOT NULL,
	`reason` text NOT NULL,
	`alerted_at` text,
	`created_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `dead_letters_queue_message_idx` ON `dead_letters` (`queue`,`message_id`);--> statement-breakpoint
CREATE INDEX `dead_letters_unalerted_idx` ON `dead_letters` (`alerted_at`);--> statement-breakpoint
CREATE TABLE `job_runs` (
	`id` text PRIMARY KEY NOT NULL,
	`job_name` text NOT NULL,
	`trigger` text NOT NULL,
	`cron` text,
	`status` text NOT NULL,
	`result` text,
	`error` text,
	`started_at` text NOT NULL,
	`finished_at` text
);
--> statement-breakpoint
CREATE INDEX `job_runs_job_idx` ON `job_runs` (`job_name`,`started_at`);--> statement-breakpoint
CREATE TABLE `isp_metrics` (
	`id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`target_type` text NOT NULL,
	`target_id` text NOT NULL,
	`isp` text NOT NULL,
	`date` text NOT NULL,
	`sent_count` integer DEFAULT 0 NOT NULL,
	`delivered_count` integer DEFAULT 0 NOT NULL,
	`bounce_count` integer DEFAULT 0 NOT NULL,
	`complaint_count` integer DEFAULT 0 NOT NULL,
	`open_count` integer DEFAULT 0 NOT NULL,
	`click_count` integer DEFAULT 0 NOT NULL,
	`inbox_placement_rate` real,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `isp_metrics_target_isp_date_idx` ON `isp_metrics` (`target_type`,`target_id`,`isp`,`date`);--> statement-breakpoint
CREATE TABLE `email_template_versions` (
	`id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`template_id` text NOT NULL,
	`version` integer NOT NULL,
	`subject_template` text NOT NULL,
	`body_html` text NOT NULL,
	`body_text` text,
	`preview_text` text,
	`variables` text NOT NULL,
	`visual_definition` text,
	`created_at` text NOT NULL,
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`template_id`) REFERENCES `email_templates`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `email_template_versions_template_version_idx` ON `email_template_versions` (`template_id`,`version`);--> statement-breakpoint
CREATE INDEX `email_template_versions_workspace_idx` ON `email_template_versions` (`workspace_id`);--> statement-breakpoint
CREATE TABLE `email_templates` (
	`id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`name` text NOT NULL,
	`slug` text NOT NULL,
	`category` text DEFAULT 'general' NOT NULL,
	`template_type` text DEFAULT 'code' NOT NULL,
	`subject_template` text NOT NULL,
	`body_html` text DEFAULT '' NOT NULL,
	`body_text` text,
	`preview_text` text,
	`variables` text DEFAULT '[]' NOT NULL,
	`visual_definition` text,
	`is_active` integer DEFAULT true NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `email_templates_workspace_slug_idx` ON `email_templates` (`workspace_id`,`slug`);--> statement-breakpoint
CREATE TABLE `visual_builder_blocks` (
	`id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`name` text NOT NULL,
	`slug` text NOT NULL,
	`description` text,
	`definition` text NOT NULL,
	`default_props` text DEFAULT '{}' NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `visual_builder_blocks_workspace_slug_idx` ON `visual_builder_blocks` (`workspace_id`,`slug`);--> statement-breakpoint
CREATE TABLE `visual_builder_designs` (
	`id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`name` text NOT NULL,
	`design` text NOT NULL,
	`template_id` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`template_id`) REFERENCES `email_templates`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE INDEX `visual_builder_designs_workspace_idx` ON `visual_builder_designs` (`workspace_id`,`id`);--> statement-breakpoint
CREATE TABLE `warming_progress` (
	`id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`target_type` text NOT NULL,
	`target_id` text NOT NULL,
	`date` text NOT NULL,
	`warming_day` integer NOT NULL,
	`daily_limit` integer NOT NULL,
	`sent_count` integer DEFAULT 0 NOT NULL,
	`delivered_count` integer DEFAULT 0 NOT NULL,
	`bounce_count` integer DEFAULT 0 NOT NULL,
	`complaint_count` integer DEFAULT 0 NOT NULL,
	`open_count` integer DEFAULT 0 NOT NULL,
	`bounce_rate` real,
	`complaint_rate` real,
	`delivery_rate` real,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `warming_progress_target_date_idx` ON `warming_progress` (`target_type`,`target_id`,`date`);--> statement-breakpoint
CREATE TABLE `warming_schedules` (
	`id` text PRIMARY KEY NOT NULL,
	`workspace_id` text,
	`slug` text NOT NULL,
	`name` text NOT NULL,
	`description` text,
	`steps` text NOT NULL,
	`is_builtin` integer DEFAULT false NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `warming_schedules_workspace_slug_idx` ON `warming_schedules` (`workspace_id`,`slug`);--> statement-breakpoint
CREATE TABLE `api_keys` (
	`id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`name` text NOT NULL,
	`prefix` text NOT NULL,
	`key_hash` text NOT NULL,
	`last_used_at` text,
	`revoked_at` text,
	`created_at` text NOT NULL,
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_keys_key_hash_unique` ON `api_keys` (`key_hash`);--> statement-breakpoint
CREATE INDEX `api_keys_workspace_idx` ON `api_keys` (`workspace_id`,`id`);--> statement-breakpoint
CREATE TABLE `workspaces` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`slug` text NOT NULL,
	`timezone` text NOT NULL,
	`postal_address` text,
	`settings` text DEFAULT '{}' NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `workspaces_slug_unique` ON `workspaces` (`slug`);