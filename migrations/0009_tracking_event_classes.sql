ALTER TABLE `tracking_events` ADD `link_index` integer;--> statement-breakpoint
ALTER TABLE `tracking_events` ADD `os` text;--> statement-breakpoint
ALTER TABLE `tracking_events` ADD `traffic_class` text DEFAULT 'human' NOT NULL;--> statement-breakpoint
ALTER TABLE `tracking_events` ADD `traffic_reason` text;--> statement-breakpoint
ALTER TABLE `tracking_events` ADD `first_of_kind` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `tracking_events` ADD `first_human_of_kind` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `tracking_events` ADD `first_for_link` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `tracking_events` ADD `first_human_for_link` integer DEFAULT false NOT NULL;