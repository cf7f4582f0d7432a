-- A technician's answer to a list we mailed them (`#list`, a digest) is
-- told apart by the Message-ID it answers: found in the index.
CREATE INDEX outbox_message_id ON outbox (message_id);
