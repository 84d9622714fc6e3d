CREATE TABLE `analytics_watermarks` (
	`name` text PRIMARY KEY NOT NULL,
	`rolled_up_to` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `campaign_device_stats` (
	`workspace_id` text NOT NULL,
	`campaign_id` text NOT NULL,
	`event_type` text NOT NULL,
	`traffic_class` text NOT NULL,
	`device_type` text NOT NULL,
	`os` text NOT NULL,
	`email_client` text NOT NULL,
	`count` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`campaign_id`, `event_type`, `traffic_class`, `device_type`, `os`, `email_client`),
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `campaign_hourly_stats` (
	`workspace_id` text NOT NULL,
	`campaign_id` text NOT NULL,
	`hour` text NOT NULL,
	`event_type` text NOT NULL,
	`traffic_class` text NOT NULL,
	`count` integer DEFAULT 0 NOT NULL,
	`unique_count` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`campaign_id`, `hour`, `event_type`, `traffic_class`),
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `campaign_link_stats` (
	`workspace_id` text NOT NULL,
	`campaign_id` text NOT NULL,
	`url` text NOT NULL,
	`clicks` integer DEFAULT 0 NOT NULL,
	`unique_clickers` integer DEFAULT 0 NOT NULL,
	`human_clicks` integer DEFAULT 0 NOT NULL,
	`human_unique_clickers` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`campaign_id`, `url`),
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `webhook_deliveries` (
	`id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`endpoint_id` text NOT NULL,
	`event_type` text NOT NULL,
	`payload` text NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`last_status_code` integer,
	`last_error` text,
	`next_attempt_at` text,
	`delivered_at` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `webhook_deliveries_endpoint_idx` ON `webhook_deliveries` (`endpoint_id`,`id`);--> statement-breakpoint
CREATE TABLE `webhook_delivery_attempts` (
	`id` text PRIMARY KEY NOT NULL,
	`delivery_id` text NOT NULL,
	`workspace_id` text NOT NULL,
	`attempted_at` text NOT NULL,
	`status_code` integer,
	`error` text,
	`duration_ms` integer NOT NULL,
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `webhook_delivery_attempts_delivery_idx` ON `webhook_delivery_attempts` (`delivery_id`,`attempted_at`);--> statement-breakpoint
CREATE TABLE `webhook_endpoints` (
	`id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`url` text NOT NULL,
	`description` text,
	`event_types` text DEFAULT '[]' NOT NULL,
	`enabled` integer DEFAULT true NOT NULL,
	`secret` text NOT NULL,
	`previous_secret` text,
	`previous_secret_expires_at` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `webhook_endpoints_workspace_idx` ON `webhook_endpoints` (`workspace_id`,`id`);--> statement-breakpoint
CREATE TABLE `webhook_replay_tokens` (
	`provider_id` text NOT NULL,
	`token` text NOT NULL,
	`seen_at` text NOT NULL,
	PRIMARY KEY(`provider_id`, `token`)
);
--> statement-breakpoint
CREATE INDEX `webhook_replay_tokens_seen_idx` ON `webhook_replay_tokens` (`seen_at`);--> statement-breakpoint
ALTER TABLE `campaign_recipients` ADD `complained_at` text;--> statement-breakpoint
ALTER TABLE `campaign_recipients` ADD `unsubscribed_at` text;--> statement-breakpoint
ALTER TABLE `campaign_recipients` ADD `human_opened_at` text;--> statement-breakpoint
ALTER TABLE `campaign_recipients` ADD `human_clicked_at` text;--> statement-breakpoint
CREATE INDEX `campaign_recipients_domain_sent_idx` ON `campaign_recipients` (`sending_domain_id`,`sent_at`);--> statement-breakpoint
CREATE INDEX `campaign_recipients_domain_complained_idx` ON `campaign_recipients` (`sending_domain_id`,`complained_at`) WHERE "campaign_recipients"."complained_at" is not null;--> statement-breakpoint
ALTER TABLE `email_campaigns` ADD `human_open_count` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `email_campaigns` ADD `human_unique_open_count` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `email_campaigns` ADD `human_click_count` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `email_campaigns` ADD `human_unique_click_count` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `email_campaigns` ADD `tracking_enabled` integer DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE `sending_domains` ADD `marketing_paused_at` text;--> statement-breakpoint
ALTER TABLE `sending_domains` ADD `marketing_pause_reason` text;--> statement-breakpoint
CREATE INDEX `provider_event_logs_time_idx` ON `provider_event_logs` (`occurred_at`);--> statement-breakpoint
CREATE INDEX `provider_event_logs_recipient_idx` ON `provider_event_logs` (`recipient_id`);--> statement-breakpoint
CREATE INDEX `tracking_events_recipient_idx` ON `tracking_events` (`recipient_id`,`event_type`);--> statement-breakpoint
CREATE INDEX `tracking_events_time_idx` ON `tracking_events` (`occurred_at`);--> statement-breakpoint
ALTER TABLE `tracking_events` DROP COLUMN `is_machine_open`;