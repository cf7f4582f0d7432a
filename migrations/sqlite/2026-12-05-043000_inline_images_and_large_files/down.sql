ALTER TABLE outbox DROP COLUMN smaller_content;
ALTER TABLE attachments DROP COLUMN content_id;
