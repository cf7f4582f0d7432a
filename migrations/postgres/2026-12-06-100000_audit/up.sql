-- What admins did to the desk: who (a technician's address,
-- `cli:<unix user>`, `dashboard:<login>`), when, what to what, and how it
-- went. Rows are only ever added.
CREATE TABLE audit_log (
    id BIGSERIAL PRIMARY KEY,
    at TIMESTAMP NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT '',
    -- ok | failed | refused
    outcome TEXT NOT NULL DEFAULT 'ok'
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_action ON audit_log (action, at);
