-- SQLite: a claimed outbox row is leased to its sender apart from its next
-- attempt time, so a sender that takes over after another died can give
-- back exactly the rows that one had claimed.
ALTER TABLE outbox ADD COLUMN leased_until TIMESTAMP;
