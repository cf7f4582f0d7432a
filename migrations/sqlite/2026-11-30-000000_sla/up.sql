-- SLA timers in business time: the target, what was used before the
-- current running stretch, and when the warning falls due.
ALTER TABLE sla_timers ADD COLUMN target_minutes BIGINT NOT NULL DEFAULT 0;
ALTER TABLE sla_timers ADD COLUMN used_minutes BIGINT NOT NULL DEFAULT 0;
ALTER TABLE sla_timers ADD COLUMN running_since TIMESTAMP;
ALTER TABLE sla_timers ADD COLUMN warn_percent INTEGER NOT NULL DEFAULT 75;
ALTER TABLE sla_timers ADD COLUMN warn_at TIMESTAMP;
ALTER TABLE sla_timers ADD COLUMN met_at TIMESTAMP;
CREATE INDEX sla_timers_warn ON sla_timers (state, warn_at);

-- Waiting for the requester: since when, and when they were reminded.
ALTER TABLE tickets ADD COLUMN pending_since TIMESTAMP;
ALTER TABLE tickets ADD COLUMN reminded_at TIMESTAMP;
CREATE INDEX tickets_pending ON tickets (status, pending_since);

-- At most one satisfaction survey per ticket.
CREATE TABLE surveys (
    id INTEGER PRIMARY KEY,
    ticket_id BIGINT NOT NULL UNIQUE REFERENCES tickets (id),
    -- scheduled | skipped | sent | answered | cancelled
    state TEXT NOT NULL,
    due_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP,
    -- Our Message-ID of the survey mail: a reply to it is an answer.
    message_id TEXT,
    rating INTEGER,
    comment TEXT NOT NULL DEFAULT '',
    -- mail | link
    answered_via TEXT,
    answered_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX surveys_due ON surveys (state, due_at);

-- Keys the desk makes for itself (the survey link signing key), shared by
-- every instance on the database.
CREATE TABLE desk_secrets (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
