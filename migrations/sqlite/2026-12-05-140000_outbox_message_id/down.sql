DROP INDEX outbox_message_id;
