ALTER TABLE attachments DROP COLUMN content_id;
