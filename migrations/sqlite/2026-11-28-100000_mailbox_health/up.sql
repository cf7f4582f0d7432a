-- How each mailbox's poller is doing, for `guichet status`: written by the
-- instance that polls it, after every poll and every failure.
CREATE TABLE mailbox_health (
    mailbox TEXT PRIMARY KEY,
    -- ok | failing
    state TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    -- which process polls it: host and pid
    holder TEXT NOT NULL DEFAULT '',
    -- failures in a row since the last good poll
    failures INTEGER NOT NULL DEFAULT 0,
    last_ok_at TIMESTAMP,
    updated_at TIMESTAMP NOT NULL
);
