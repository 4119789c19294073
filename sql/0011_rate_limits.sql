-- Rate limits shared by every app node (issue 19): the counters of Flask-Limiter's fixed windows
-- (mapserver/operations/limits.py), and which refusals the audit log already has this minute.
--
-- UNLOGGED: a counter is worth a minute at most; skipping the WAL keeps a login or an upload from writing
-- any to the replicas. After a crash or a failover the table starts empty (every window starts again).
-- Only the primary ever reads or writes it (DATABASE_URL, never DATABASE_READ_URL).
CREATE UNLOGGED TABLE mapserver.rate_limits (
    key        text PRIMARY KEY,         -- Flask-Limiter's key: the limit, the route and who is counted
    expires_at timestamptz NOT NULL,     -- the end of the current window (the server's clock, shared)
    hits       integer NOT NULL
);
CREATE INDEX rate_limits_expires_idx ON mapserver.rate_limits (expires_at);

-- A client flooding a route it is refused gets one audit row per route and minute, not one per request:
-- the first refusal of a minute claims its row here (ON CONFLICT DO NOTHING), in the audit row's transaction.
-- Rows of past minutes are deleted as new ones are claimed; audit_log itself stays append-only.
CREATE UNLOGGED TABLE mapserver.audit_minutes (
    minute      timestamptz NOT NULL,
    action      text NOT NULL,
    client_addr text NOT NULL,           -- '' when the client's address is unknown
    PRIMARY KEY (minute, action, client_addr)
);

GRANT SELECT, INSERT, UPDATE, DELETE ON mapserver.rate_limits, mapserver.audit_minutes TO mapserver_app;
