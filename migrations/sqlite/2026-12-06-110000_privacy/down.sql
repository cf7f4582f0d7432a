DROP TABLE retention_log;
DROP INDEX tickets_closed_at;
ALTER TABLE tickets DROP COLUMN anonymised_at;
DROP INDEX raw_messages_received;
ALTER TABLE raw_messages DROP COLUMN purged_at;
