-- An outbox row holds what its mail is made of, rendered by the sender
-- just before sending: template, language, the template's values (JSON),
-- the header facts (JSON: From, To, Cc, Reply-To, References, loop value,
-- Date, Thread-Index), the files as references to stored blobs (JSON), the
-- article the mail quotes, and whether the smaller version (the larger
-- files as links) is to go. `content` is kept for rows queued before: they
-- are sent as they are.
ALTER TABLE outbox ALTER COLUMN content DROP NOT NULL;
ALTER TABLE outbox ADD COLUMN lang TEXT;
ALTER TABLE outbox ADD COLUMN context TEXT;
ALTER TABLE outbox ADD COLUMN headers TEXT;
ALTER TABLE outbox ADD COLUMN files TEXT;
ALTER TABLE outbox ADD COLUMN article_id BIGINT;
ALTER TABLE outbox ADD COLUMN smaller BOOLEAN NOT NULL DEFAULT FALSE;
