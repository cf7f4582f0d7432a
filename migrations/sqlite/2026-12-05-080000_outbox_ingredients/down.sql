-- Rows queued since hold no bytes: they are dropped with their attempts.
PRAGMA foreign_keys = OFF;
BEGIN;
DELETE FROM outbox_attempts WHERE outbox_id IN (SELECT id FROM outbox WHERE content IS NULL);
DELETE FROM automatic_mail WHERE outbox_id IN (SELECT id FROM outbox WHERE content IS NULL);
CREATE TABLE outbox_old (
    id INTEGER PRIMARY KEY,
    ticket_id BIGINT REFERENCES tickets (id),
    template TEXT NOT NULL,
    message_id TEXT NOT NULL UNIQUE,
    envelope_from TEXT NOT NULL,
    recipients TEXT NOT NULL,
    subject TEXT NOT NULL,
    content BLOB NOT NULL,
    automatic BOOLEAN NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP,
    leased_until TIMESTAMP,
    smaller_content BLOB
);
INSERT INTO outbox_old SELECT id, ticket_id, template, message_id, envelope_from, recipients, subject, content,
    automatic, state, attempts, next_attempt_at, last_error, created_at, sent_at, leased_until, smaller_content
FROM outbox WHERE content IS NOT NULL;
DROP TABLE outbox;
ALTER TABLE outbox_old RENAME TO outbox;
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
CREATE INDEX outbox_created ON outbox (created_at);
COMMIT;
PRAGMA foreign_keys = ON;
