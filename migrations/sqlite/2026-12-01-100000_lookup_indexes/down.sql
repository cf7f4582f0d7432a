DROP INDEX tickets_assignee_status;
DROP INDEX quarantine_raw;
DROP INDEX outbox_attempts_outbox;
DROP INDEX surveys_message_id;
DROP INDEX events_assignee;
DROP INDEX message_ids_ticket;
