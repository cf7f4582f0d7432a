-- The whole ticket model, as in the SQLite migration of the same name;
-- only the key generation (BIGSERIAL) and byte columns (BYTEA) differ.

-- Everyone who writes to the desk or is written to by it.
CREATE TABLE contacts (
    id BIGSERIAL PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL DEFAULT '',
    language TEXT,
    vip BOOLEAN NOT NULL DEFAULT FALSE,
    undeliverable_until TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE tickets (
    id BIGSERIAL PRIMARY KEY,
    subject TEXT NOT NULL,
    ticket_type TEXT NOT NULL DEFAULT 'incident',
    status TEXT NOT NULL DEFAULT 'new',
    impact INTEGER NOT NULL DEFAULT 3,
    urgency INTEGER NOT NULL DEFAULT 3,
    priority INTEGER NOT NULL DEFAULT 3,
    major BOOLEAN NOT NULL DEFAULT FALSE,
    parent_id BIGINT REFERENCES tickets (id),
    -- A ticket opened by a late reply to a closed ticket points at it.
    related_id BIGINT REFERENCES tickets (id),
    requester_id BIGINT NOT NULL REFERENCES contacts (id),
    assignee TEXT,
    group_name TEXT,
    category TEXT,
    language TEXT NOT NULL,
    mailbox TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    closed_at TIMESTAMP
);
CREATE INDEX tickets_status ON tickets (status);
CREATE INDEX tickets_requester ON tickets (requester_id);
CREATE INDEX tickets_parent ON tickets (parent_id);

CREATE TABLE ticket_watchers (
    ticket_id BIGINT NOT NULL REFERENCES tickets (id),
    contact_id BIGINT NOT NULL REFERENCES contacts (id),
    PRIMARY KEY (ticket_id, contact_id)
);

CREATE TABLE ticket_tags (
    ticket_id BIGINT NOT NULL REFERENCES tickets (id),
    tag TEXT NOT NULL,
    PRIMARY KEY (ticket_id, tag)
);

-- Every inbound message, byte for byte, stored once by content hash.
CREATE TABLE raw_messages (
    id BIGSERIAL PRIMARY KEY,
    sha256 TEXT NOT NULL UNIQUE,
    size BIGINT NOT NULL,
    content BYTEA NOT NULL,
    received_at TIMESTAMP NOT NULL
);

-- What became of each inbound message: exactly one row per raw message.
CREATE TABLE inbound (
    id BIGSERIAL PRIMARY KEY,
    raw_message_id BIGINT NOT NULL UNIQUE REFERENCES raw_messages (id),
    mailbox TEXT NOT NULL,
    message_id TEXT,
    body_sha256 TEXT NOT NULL,
    -- ticket | article | automatic | quarantine | duplicate
    outcome TEXT NOT NULL,
    -- human | auto_reply | bounce | feedback | list | own, or unknown
    -- when the mail was quarantined before it could be classified
    kind TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    ticket_id BIGINT REFERENCES tickets (id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX inbound_message_id ON inbound (message_id);

-- Where a message was read from, so re-reading a source is a no-op.
CREATE TABLE source_messages (
    mailbox TEXT NOT NULL,
    source_key TEXT NOT NULL,
    raw_message_id BIGINT NOT NULL REFERENCES raw_messages (id),
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (mailbox, source_key)
);

CREATE TABLE articles (
    id BIGSERIAL PRIMARY KEY,
    ticket_id BIGINT NOT NULL REFERENCES tickets (id),
    raw_message_id BIGINT REFERENCES raw_messages (id),
    -- in | out
    direction TEXT NOT NULL,
    -- public | internal
    visibility TEXT NOT NULL,
    -- requester | watcher | technician | stranger | automatic | desk
    author_role TEXT NOT NULL,
    from_addr TEXT NOT NULL,
    from_name TEXT NOT NULL DEFAULT '',
    to_addrs TEXT NOT NULL DEFAULT '',
    cc_addrs TEXT NOT NULL DEFAULT '',
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    trimmed_text TEXT NOT NULL,
    body_html TEXT,
    message_id TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX articles_ticket ON articles (ticket_id);

-- Attachment content is stored once per sha256, whatever mail carries it.
CREATE TABLE blobs (
    sha256 TEXT PRIMARY KEY,
    size BIGINT NOT NULL,
    content BYTEA NOT NULL
);

CREATE TABLE attachments (
    id BIGSERIAL PRIMARY KEY,
    article_id BIGINT NOT NULL REFERENCES articles (id),
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL REFERENCES blobs (sha256),
    inline BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX attachments_article ON attachments (article_id);

-- Every Message-ID we received or sent, for threading replies.
CREATE TABLE message_ids (
    id BIGSERIAL PRIMARY KEY,
    message_id TEXT NOT NULL UNIQUE,
    ticket_id BIGINT NOT NULL REFERENCES tickets (id),
    -- in | out
    direction TEXT NOT NULL,
    -- public: seen by the requester's side (their mail, our mail to them);
    -- staff: seen by technicians only (notices, notes, strangers' mail).
    audience TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

-- The history: who changed what, when.
CREATE TABLE events (
    id BIGSERIAL PRIMARY KEY,
    ticket_id BIGINT NOT NULL REFERENCES tickets (id),
    actor TEXT NOT NULL,
    kind TEXT NOT NULL,
    old_value TEXT,
    new_value TEXT,
    article_id BIGINT REFERENCES articles (id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX events_ticket ON events (ticket_id);
CREATE INDEX events_kind_time ON events (kind, created_at);

-- Outgoing mail, rendered in the transaction that caused it.
CREATE TABLE outbox (
    id BIGSERIAL PRIMARY KEY,
    ticket_id BIGINT REFERENCES tickets (id),
    template TEXT NOT NULL,
    message_id TEXT NOT NULL UNIQUE,
    envelope_from TEXT NOT NULL,
    recipients TEXT NOT NULL,
    subject TEXT NOT NULL,
    content BYTEA NOT NULL,
    automatic BOOLEAN NOT NULL,
    -- pending | sent | failed
    state TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP
);
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
CREATE INDEX outbox_created ON outbox (created_at);

CREATE TABLE outbox_attempts (
    id BIGSERIAL PRIMARY KEY,
    outbox_id BIGINT NOT NULL REFERENCES outbox (id),
    attempted_at TIMESTAMP NOT NULL,
    -- sent | transient | permanent
    result TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT ''
);

-- SLA timers: one row per (ticket, kind). Business time arithmetic lives in
-- the domain; these rows make the timers survive a restart.
CREATE TABLE sla_timers (
    id BIGSERIAL PRIMARY KEY,
    ticket_id BIGINT NOT NULL REFERENCES tickets (id),
    -- first_response | resolution
    kind TEXT NOT NULL,
    policy TEXT NOT NULL,
    due_at TIMESTAMP NOT NULL,
    -- running | paused | met | breached
    state TEXT NOT NULL,
    remaining_minutes BIGINT,
    warned_at TIMESTAMP,
    breached_at TIMESTAMP,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (ticket_id, kind)
);
CREATE INDEX sla_timers_due ON sla_timers (state, due_at);

-- IMAP sources: the last UID committed for a mailbox and UIDVALIDITY.
CREATE TABLE mailbox_checkpoints (
    mailbox TEXT PRIMARY KEY,
    uid_validity BIGINT NOT NULL,
    last_uid BIGINT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE quarantine (
    id BIGSERIAL PRIMARY KEY,
    raw_message_id BIGINT NOT NULL REFERENCES raw_messages (id),
    mailbox TEXT NOT NULL,
    reason TEXT NOT NULL,
    -- held | released
    state TEXT NOT NULL DEFAULT 'held',
    retries INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    released_at TIMESTAMP
);
