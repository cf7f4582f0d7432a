-- Each requester's incident ticket's terms (sorted, space separated), for
-- major incident detection: a new ticket is compared with the recent
-- open ones and with the open major incidents.
CREATE TABLE ticket_terms (
    ticket_id BIGINT PRIMARY KEY REFERENCES tickets (id),
    subject_terms TEXT NOT NULL,
    terms TEXT NOT NULL
);
CREATE INDEX tickets_created ON tickets (created_at);
CREATE INDEX tickets_major_open ON tickets (major, status);
