DROP INDEX tickets_major_open;
DROP INDEX tickets_open_unattached;
DROP TABLE ticket_terms;
