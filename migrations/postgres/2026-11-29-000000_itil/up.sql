-- ITIL routing: planned interventions, monitoring events deduplicated by
-- key, and technicians noticed away from their own auto-replies.
ALTER TABLE tickets ADD COLUMN planned_at TIMESTAMP;
-- Monitoring: one open ticket per key; how many alerts it gathered.
ALTER TABLE tickets ADD COLUMN event_key TEXT;
ALTER TABLE tickets ADD COLUMN event_count INTEGER NOT NULL DEFAULT 0;
CREATE INDEX tickets_event_key ON tickets (event_key);
CREATE INDEX tickets_assignee ON tickets (assignee);

-- A technician whose own auto-reply ("out of office") came back to the
-- desk: not given new tickets until away_until, or until they write again.
CREATE TABLE technician_away (
    email TEXT PRIMARY KEY,
    away_until TIMESTAMP NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    noticed_at TIMESTAMP NOT NULL
);
