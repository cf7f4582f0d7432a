CREATE INDEX tickets_parent ON tickets (parent_id);
DROP INDEX tickets_parent_newest;
