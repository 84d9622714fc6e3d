CREATE TABLE `automation_events` (
	`workspace_id` text NOT NULL,
	`id` text NOT NULL,
	`type` text NOT NULL,
	`occurred_at` text NOT NULL,
	`user` text NOT NULL,
	`properties` text DEFAULT '{}' NOT NULL,
	`subscriber_id` text,
	`status` text DEFAULT 'received' NOT NULL,
	`error` text,
	`received_at` text NOT NULL,
	`processed_at` text,
	PRIMARY KEY(`workspace_id`, `id`),
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `automation_events_received_idx` ON `automation_events` (`received_at`);--> statement-breakpoint
CREATE TABLE `automation_rule_runs` (
	`id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`rule_id` text NOT NULL,
	`event_id` text NOT NULL,
	`event_type` text NOT NULL,
	`subscriber_id` text,
	`outcome` text NOT NULL,
	`reason` text,
	`actions` text DEFAULT '[]' NOT NULL,
	`created_at` text NOT NULL,
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`rule_id`) REFERENCES `automation_rules`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `automation_rule_runs_rule_event_idx` ON `automation_rule_runs` (`rule_id`,`event_id`);--> statement-breakpoint
CREATE INDEX `automation_rule_runs_rule_time_idx` ON `automation_rule_runs` (`rule_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `onboarding_flow_versions` (
	`workspace_id` text NOT NULL,
	`flow_id` text NOT NULL,
	`version` integer NOT NULL,
	`steps` text NOT NULL,
	`on_unsubscribe` text NOT NULL,
	`created_at` text NOT NULL,
	PRIMARY KEY(`flow_id`, `version`),
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`flow_id`) REFERENCES `onboarding_flows`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `onboarding_progress_steps` (
	`workspace_id` text NOT NULL,
	`progress_id` text NOT NULL,
	`step_index` integer NOT NULL,
	`step_id` text NOT NULL,
	`step_type` text NOT NULL,
	`outcome` text NOT NULL,
	`reason` text,
	`recipient_id` text,
	`started_at` text NOT NULL,
	`finished_at` text NOT NULL,
	PRIMARY KEY(`progress_id`, `step_index`),
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`progress_id`) REFERENCES `user_onboarding_progress`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `onboarding_progress_steps_flow_idx` ON `onboarding_progress_steps` (`workspace_id`,`step_id`);--> statement-breakpoint
CREATE TABLE `subscriber_milestones` (
	`workspace_id` text NOT NULL,
	`subscriber_id` text NOT NULL,
	`slug` text NOT NULL,
	`reached_at` text NOT NULL,
	PRIMARY KEY(`subscriber_id`, `slug`),
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
DROP INDEX `user_onboarding_progress_flow_subscriber_idx`;--> statement-breakpoint
ALTER TABLE `user_onboarding_progress` ADD `flow_version` integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE `user_onboarding_progress` ADD `stop_reason` text;--> statement-breakpoint
ALTER TABLE `user_onboarding_progress` ADD `enrolled_by` text DEFAULT 'api' NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX `user_onboarding_progress_active_idx` ON `user_onboarding_progress` (`flow_id`,`subscriber_id`) WHERE status = 'active';--> statement-breakpoint
CREATE INDEX `user_onboarding_progress_subscriber_idx` ON `user_onboarding_progress` (`workspace_id`,`subscriber_id`);--> statement-breakpoint
ALTER TABLE `subscribers` ADD `external_id` text;--> statement-breakpoint
CREATE UNIQUE INDEX `subscribers_workspace_external_id_idx` ON `subscribers` (`workspace_id`,`external_id`) WHERE external_id is not null;--> statement-breakpoint
ALTER TABLE `email_campaigns` ADD `onboarding_flow_id` text;--> statement-breakpoint
ALTER TABLE `onboarding_flows` ADD `version` integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE `onboarding_flows` ADD `on_unsubscribe` text DEFAULT 'stop' NOT NULL;