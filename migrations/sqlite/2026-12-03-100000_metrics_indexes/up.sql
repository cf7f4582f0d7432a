-- What /metrics counts at each scrape, read from an index instead of the
-- whole table: mail by mailbox, outcome and kind; SLA timers by kind and
-- state; send attempts by result.
CREATE INDEX inbound_counts ON inbound (mailbox, outcome, kind);
CREATE INDEX sla_timers_counts ON sla_timers (kind, state);
CREATE INDEX outbox_attempts_result ON outbox_attempts (result);
