-- The spec's three warming schedules, global (no workspace) and with fixed ids so that every database names
-- them alike. Steps are the spec's anchors; the days between are interpolated geometrically at read time.
-- The spec lists the aggressive schedule's 200 / 15,000 / 100,000 under its day 1 / 7 / 14 columns, yet the
-- schedule lasts 7 days: they are taken as day 1, day 4 (the middle) and day 7.
INSERT INTO `warming_schedules` (`id`, `workspace_id`, `slug`, `name`, `description`, `steps`, `is_builtin`, `created_at`, `updated_at`) VALUES
	('wsc_conservative', NULL, 'conservative', 'Conservative', 'A 21-day ramp from 50 to 100,000 sends a day, for a new domain or IP with no sending history.', '[{"day":1,"volume":50},{"day":7,"volume":1000},{"day":14,"volume":15000},{"day":21,"volume":100000}]', 1, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
	('wsc_moderate', NULL, 'moderate', 'Moderate', 'A 14-day ramp from 100 to 100,000 sends a day.', '[{"day":1,"volume":100},{"day":7,"volume":7500},{"day":14,"volume":100000}]', 1, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
	('wsc_aggressive', NULL, 'aggressive', 'Aggressive', 'A 7-day ramp from 200 to 100,000 sends a day, for a sender moving an established, engaged audience.', '[{"day":1,"volume":200},{"day":4,"volume":15000},{"day":7,"volume":100000}]', 1, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
