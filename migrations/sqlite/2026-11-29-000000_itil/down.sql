DROP TABLE technician_away;
DROP INDEX tickets_assignee;
DROP INDEX tickets_event_key;
ALTER TABLE tickets DROP COLUMN event_count;
ALTER TABLE tickets DROP COLUMN event_key;
ALTER TABLE tickets DROP COLUMN planned_at;
