DROP INDEX tickets_major_open;
DROP INDEX tickets_created;
DROP TABLE ticket_terms;
