-- One row per recipient of each automatic mail. The hourly cap per address
-- counts these through their index instead of matching every recent
-- outbox row's recipient list.
CREATE TABLE automatic_mail (
    id BIGSERIAL PRIMARY KEY,
    outbox_id BIGINT NOT NULL REFERENCES outbox (id),
    address TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX automatic_mail_address ON automatic_mail (address, created_at);

-- What the outbox already holds, one row per address of its list.
INSERT INTO automatic_mail (outbox_id, address, created_at)
SELECT o.id, lower(trim(a)), o.created_at
FROM outbox o, unnest(string_to_array(o.recipients, ',')) AS a
WHERE o.automatic AND trim(a) <> '';
