-- Lookups made for every mail, which read a whole table without these and
-- so cost more as the history grows: the thread's Message-IDs of a ticket
-- (each mail queued), the technician assigned longest ago (each ticket
-- assigned by turns), the survey a reply answers (each reply), a mail's
-- attempts and quarantine entry.
CREATE INDEX message_ids_ticket ON message_ids (ticket_id);
CREATE INDEX events_assignee ON events (kind, new_value, id);
CREATE INDEX surveys_message_id ON surveys (message_id);
CREATE INDEX outbox_attempts_outbox ON outbox_attempts (outbox_id);
CREATE INDEX quarantine_raw ON quarantine (raw_message_id);
-- A technician's open tickets, counted from the index alone.
CREATE INDEX tickets_assignee_status ON tickets (assignee, status);
