-- Retention and the rights of the people who write to the desk.

-- Raw mail whose bytes were deleted (retention or erasure). The row stays,
-- emptied, so that the same mail read again is still known as a duplicate.
ALTER TABLE raw_messages ADD COLUMN purged_at TIMESTAMP;
CREATE INDEX raw_messages_received ON raw_messages (received_at);

-- A closed ticket whose people were replaced by pseudonyms.
ALTER TABLE tickets ADD COLUMN anonymised_at TIMESTAMP;
CREATE INDEX tickets_closed_at ON tickets (closed_at);

-- What retention, export and erasure did: one line per action. A deleted
-- ticket leaves its number here (no foreign key: the ticket is gone).
CREATE TABLE retention_log (
    id INTEGER PRIMARY KEY,
    -- raw_mail | quarantine | anonymised | deleted | exported | erased
    action TEXT NOT NULL,
    ticket_id BIGINT,
    count BIGINT NOT NULL DEFAULT 1,
    detail TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX retention_log_action ON retention_log (action);
