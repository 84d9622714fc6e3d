CREATE TABLE `campaign_runs` (
	`id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`campaign_id` text NOT NULL,
	`run_number` integer NOT NULL,
	`status` text DEFAULT 'sending' NOT NULL,
	`template_id` text NOT NULL,
	`template_version` integer NOT NULL,
	`scheduled_for` text NOT NULL,
	`fanout_completed_at` text,
	`total_recipients` integer DEFAULT 0 NOT NULL,
	`sent_count` integer DEFAULT 0 NOT NULL,
	`failed_count` integer DEFAULT 0 NOT NULL,
	`unknown_count` integer DEFAULT 0 NOT NULL,
	`started_at` text NOT NULL,
	`completed_at` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`campaign_id`) REFERENCES `email_campaigns`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `campaign_runs_campaign_number_idx` ON `campaign_runs` (`campaign_id`,`run_number`);--> statement-breakpoint
CREATE TABLE `campaign_trigger_keys` (
	`campaign_id` text NOT NULL,
	`idempotency_key` text NOT NULL,
	`workspace_id` text NOT NULL,
	`recipient_id` text NOT NULL,
	`request_hash` text NOT NULL,
	`created_at` text NOT NULL,
	PRIMARY KEY(`campaign_id`, `idempotency_key`),
	FOREIGN KEY (`campaign_id`) REFERENCES `email_campaigns`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `captured_messages` (
	`id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`provider_id` text NOT NULL,
	`message_id` text NOT NULL,
	`campaign_id` text,
	`recipient_id` text,
	`from_email` text NOT NULL,
	`to_email` text NOT NULL,
	`subject` text NOT NULL,
	`raw` text NOT NULL,
	`size_bytes` integer NOT NULL,
	`created_at` text NOT NULL,
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `captured_messages_provider_idx` ON `captured_messages` (`provider_id`,`id`);--> statement-breakpoint
CREATE UNIQUE INDEX `captured_messages_message_idx` ON `captured_messages` (`message_id`);--> statement-breakpoint
DROP INDEX `campaign_recipients_campaign_email_idx`;--> statement-breakpoint
ALTER TABLE `campaign_recipients` ADD `run_id` text;--> statement-breakpoint
ALTER TABLE `campaign_recipients` ADD `failure_detail` text;--> statement-breakpoint
ALTER TABLE `campaign_recipients` ADD `sending_identity_id` text;--> statement-breakpoint
ALTER TABLE `campaign_recipients` ADD `send_timezone` text;--> statement-breakpoint
ALTER TABLE `campaign_recipients` ADD `failed_provider_ids` text DEFAULT '[]' NOT NULL;--> statement-breakpoint
ALTER TABLE `campaign_recipients` ADD `enqueued_at` text;--> statement-breakpoint
ALTER TABLE `campaign_recipients` ADD `retry_at` text;--> statement-breakpoint
ALTER TABLE `campaign_recipients` ADD `claimed_at` text;--> statement-breakpoint
CREATE UNIQUE INDEX `campaign_recipients_run_email_idx` ON `campaign_recipients` (`campaign_id`,`run_id`,`email`);--> statement-breakpoint
CREATE INDEX `campaign_recipients_run_status_idx` ON `campaign_recipients` (`run_id`,`status`,`id`);--> statement-breakpoint
ALTER TABLE `email_campaigns` ADD `recurrence_timezone` text;--> statement-breakpoint
ALTER TABLE `email_campaigns` ADD `send_rate_per_minute` integer;--> statement-breakpoint
ALTER TABLE `email_campaigns` ADD `current_run_id` text;--> statement-breakpoint
ALTER TABLE `email_campaigns` ADD `run_count` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `email_campaigns` ADD `unknown_count` integer DEFAULT 0 NOT NULL;