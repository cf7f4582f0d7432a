DROP INDEX outbox_attempts_result;
DROP INDEX sla_timers_counts;
DROP INDEX inbound_counts;
