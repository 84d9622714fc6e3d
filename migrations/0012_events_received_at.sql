DROP INDEX `provider_event_logs_campaign_idx`;--> statement-breakpoint
DROP INDEX `provider_event_logs_time_idx`;--> statement-breakpoint
CREATE INDEX `provider_event_logs_campaign_received_idx` ON `provider_event_logs` (`campaign_id`,`received_at`);--> statement-breakpoint
CREATE INDEX `provider_event_logs_received_idx` ON `provider_event_logs` (`received_at`);--> statement-breakpoint
DROP INDEX `tracking_events_campaign_time_idx`;--> statement-breakpoint
DROP INDEX `tracking_events_time_idx`;--> statement-breakpoint
ALTER TABLE `tracking_events` ADD `received_at` text;--> statement-breakpoint
-- Rows written before this migration: taken as received when they occurred, which is how the rollup read them.
UPDATE `tracking_events` SET `received_at` = `occurred_at` WHERE `received_at` IS NULL;--> statement-breakpoint
CREATE INDEX `tracking_events_campaign_received_idx` ON `tracking_events` (`campaign_id`,`received_at`);--> statement-breakpoint
CREATE INDEX `tracking_events_received_idx` ON `tracking_events` (`received_at`);