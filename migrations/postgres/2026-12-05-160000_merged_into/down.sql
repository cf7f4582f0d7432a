ALTER TABLE tickets DROP COLUMN merged_into;
