-- One row per technician and working day their digest was queued for:
-- the claim that keeps two sweeps, or two instances, from sending it twice.
CREATE TABLE digests (
    technician TEXT NOT NULL,
    day TEXT NOT NULL,
    queued_at TIMESTAMP NOT NULL,
    PRIMARY KEY (technician, day)
);
