-- One row per recipient of each automatic mail. The hourly cap per address
-- counts these through their index: reading the outbox instead went
-- through every recent row's content (the `automatic` flag is stored after
-- it) and cost more with every mail of a storm.
CREATE TABLE automatic_mail (
    id INTEGER PRIMARY KEY,
    outbox_id BIGINT NOT NULL REFERENCES outbox (id),
    address TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX automatic_mail_address ON automatic_mail (address, created_at);

-- What the outbox already holds, one row per address of its list.
WITH RECURSIVE split (outbox_id, created_at, address, rest) AS (
    SELECT id, created_at, '', recipients || ',' FROM outbox WHERE automatic
    UNION ALL
    SELECT outbox_id, created_at, lower(trim(substr(rest, 1, instr(rest, ',') - 1))),
           substr(rest, instr(rest, ',') + 1)
    FROM split WHERE rest <> ''
)
INSERT INTO automatic_mail (outbox_id, address, created_at)
SELECT outbox_id, address, created_at FROM split WHERE address <> '';
