-- A ticket merged into another: mail naming the old number threads there.
ALTER TABLE tickets ADD COLUMN merged_into BIGINT;
