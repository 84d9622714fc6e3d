ALTER TABLE `dedicated_ips` ADD `warming_days_counted_from` text;--> statement-breakpoint
ALTER TABLE `sending_domains` ADD `warming_days_counted_from` text;