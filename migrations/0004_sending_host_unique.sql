DROP INDEX `sending_domains_workspace_domain_idx`;--> statement-breakpoint
CREATE UNIQUE INDEX `sending_domains_workspace_host_idx` ON `sending_domains` (`workspace_id`,`domain`,coalesce(`subdomain`, ''));
