-- Each requester's incident ticket's terms (sorted, space separated), for
-- major incident detection: a new ticket is compared with the recent
-- open ones and with the open major incidents.
CREATE TABLE ticket_terms (
    ticket_id BIGINT PRIMARY KEY REFERENCES tickets (id),
    subject_terms TEXT NOT NULL,
    terms TEXT NOT NULL
);
-- The recent open tickets not yet in an incident, newest first: in a
-- storm most recent tickets are children, or closed, and are not read.
CREATE INDEX tickets_open_unattached ON tickets (created_at)
    WHERE parent_id IS NULL AND major = FALSE AND status NOT IN ('resolved', 'unresolved');
CREATE INDEX tickets_major_open ON tickets (major, status);
