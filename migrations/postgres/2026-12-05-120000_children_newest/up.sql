-- The newest children of a major incident, read once a group of mails for
-- the detection to compare with: found in the index, not sorted.
CREATE INDEX tickets_parent_newest ON tickets (parent_id, id);
DROP INDEX tickets_parent;
