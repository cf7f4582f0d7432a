ALTER TABLE tickets DROP COLUMN desk_address;
