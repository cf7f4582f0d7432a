-- The support address a ticket came in by: every mail about it is sent
-- from there. Empty for tickets opened before: they keep the address of
-- the mailbox they were read from, else the first mailbox's.
ALTER TABLE tickets ADD COLUMN desk_address TEXT NOT NULL DEFAULT '';
