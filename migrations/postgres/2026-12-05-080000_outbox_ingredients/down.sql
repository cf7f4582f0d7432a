-- Rows queued since hold no bytes: they are dropped with their attempts.
DELETE FROM outbox_attempts WHERE outbox_id IN (SELECT id FROM outbox WHERE content IS NULL);
DELETE FROM automatic_mail WHERE outbox_id IN (SELECT id FROM outbox WHERE content IS NULL);
DELETE FROM outbox WHERE content IS NULL;
ALTER TABLE outbox DROP COLUMN smaller;
ALTER TABLE outbox DROP COLUMN article_id;
ALTER TABLE outbox DROP COLUMN files;
ALTER TABLE outbox DROP COLUMN headers;
ALTER TABLE outbox DROP COLUMN context;
ALTER TABLE outbox DROP COLUMN lang;
ALTER TABLE outbox ALTER COLUMN content SET NOT NULL;
