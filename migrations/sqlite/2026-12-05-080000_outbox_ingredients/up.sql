-- An outbox row holds what its mail is made of, rendered by the sender
-- just before sending: template, language, the template's values (JSON),
-- the header facts (JSON: From, To, Cc, Reply-To, References, loop value,
-- Date, Thread-Index), the files as references to stored blobs (JSON), the
-- article the mail quotes, and whether the smaller version (the larger
-- files as links) is to go. `content` is kept for rows queued before: they
-- are sent as they are.
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE outbox_new (
    id INTEGER PRIMARY KEY,
    ticket_id BIGINT REFERENCES tickets (id),
    template TEXT NOT NULL,
    message_id TEXT NOT NULL UNIQUE,
    envelope_from TEXT NOT NULL,
    recipients TEXT NOT NULL,
    subject TEXT NOT NULL,
    content BLOB,
    automatic BOOLEAN NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP,
    leased_until TIMESTAMP,
    smaller_content BLOB,
    lang TEXT,
    context TEXT,
    headers TEXT,
    files TEXT,
    article_id BIGINT,
    smaller BOOLEAN NOT NULL DEFAULT FALSE
);
INSERT INTO outbox_new (id, ticket_id, template, message_id, envelope_from, recipients, subject, content,
    automatic, state, attempts, next_attempt_at, last_error, created_at, sent_at, leased_until, smaller_content)
SELECT id, ticket_id, template, message_id, envelope_from, recipients, subject, content,
    automatic, state, attempts, next_attempt_at, last_error, created_at, sent_at, leased_until, smaller_content
FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
CREATE INDEX outbox_created ON outbox (created_at);
COMMIT;
PRAGMA foreign_keys = ON;
