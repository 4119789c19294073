-- Agencies' staff and systems: user accounts, API tokens, the upload job queue, and the
-- application role's grants (the audit log stays append-only for it: INSERT and SELECT only).

CREATE TABLE mapserver.users (
    id              serial PRIMARY KEY,
    username        text NOT NULL UNIQUE CHECK (username ~ '^[a-z0-9][a-z0-9._-]{1,62}$'),
    agency_id       integer REFERENCES mapserver.agencies (id),
    role            text NOT NULL CHECK (role IN ('admin', 'editor', 'viewer')),
    password_hash   text NOT NULL,
    disabled        boolean NOT NULL DEFAULT false,
    failed_logins   integer NOT NULL DEFAULT 0,
    locked_until    timestamptz,
    last_login_at   timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (role = 'admin' OR agency_id IS NOT NULL)
);

-- A token is shown once; only its SHA-256 is kept. `prefix` (not secret) finds the row.
CREATE TABLE mapserver.api_tokens (
    id            serial PRIMARY KEY,
    name          text NOT NULL,
    prefix        text NOT NULL UNIQUE,
    token_hash    text NOT NULL,
    agency_id     integer REFERENCES mapserver.agencies (id),
    role          text NOT NULL CHECK (role IN ('admin', 'editor', 'viewer')),
    created_by    text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    revoked_at    timestamptz,
    CHECK (role = 'admin' OR agency_id IS NOT NULL)
);

-- The upload queue: workers take rows with FOR UPDATE SKIP LOCKED; a running job whose
-- heartbeat stops is queued again (or failed once out of attempts), never left running.
CREATE TABLE mapserver.jobs (
    id            bigserial PRIMARY KEY,
    layer_slug    text NOT NULL REFERENCES mapserver.layers (slug),
    file_path     text NOT NULL,
    source_name   text NOT NULL,
    options       jsonb NOT NULL DEFAULT '{}',
    state         text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'done', 'failed')),
    attempts      integer NOT NULL DEFAULT 0,
    max_attempts  integer NOT NULL DEFAULT 3 CHECK (max_attempts > 0),
    progress      real NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 1),
    report        jsonb,
    error         jsonb,
    worker        text,
    heartbeat_at  timestamptz,
    created_by    text NOT NULL,
    agency_id     integer REFERENCES mapserver.agencies (id),
    client_addr   inet,
    created_at    timestamptz NOT NULL DEFAULT now(),
    started_at    timestamptz,
    finished_at   timestamptz
);
CREATE INDEX jobs_queued_idx ON mapserver.jobs (id) WHERE state = 'queued';
CREATE INDEX jobs_running_idx ON mapserver.jobs (heartbeat_at) WHERE state = 'running';
CREATE INDEX jobs_layer_idx ON mapserver.jobs (layer_slug, id DESC);
CREATE INDEX audit_log_agency_at_idx ON mapserver.audit_log (agency_id, at DESC);

-- The role the application's login user is a member of (CREATE USER app IN ROLE mapserver_app).
-- Roles are per cluster, so another database of the same cluster may have made it already.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'mapserver_app') THEN
        CREATE ROLE mapserver_app NOLOGIN;
    END IF;
END $$;

GRANT USAGE ON SCHEMA mapserver TO mapserver_app;
GRANT USAGE, CREATE ON SCHEMA layer_data TO mapserver_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA mapserver TO mapserver_app;
GRANT SELECT ON ALL TABLES IN SCHEMA layer_data TO mapserver_app;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA mapserver TO mapserver_app;
-- Version tables and catalog tables made later by the migrating user (e.g. `mapserver etl load`).
ALTER DEFAULT PRIVILEGES IN SCHEMA layer_data GRANT SELECT ON TABLES TO mapserver_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA mapserver GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO mapserver_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA mapserver GRANT USAGE ON SEQUENCES TO mapserver_app;
-- The audit log: read and append, nothing else (the trigger of 0001 also refuses it for owners).
REVOKE UPDATE, DELETE, TRUNCATE ON mapserver.audit_log FROM PUBLIC, mapserver_app;
