-- Live layers (issue 18): features written one by one (OGC API - Features Part 4), each write one
-- transaction with its revision, its change event and its audit row; clients follow the events.
--
-- A live layer's features live in one table, layer_data.<slug>_live, and readers see them through the
-- view layer_data.<slug>_now (what is valid now), which the catalog publishes as the layer's only
-- version (etl/live/store.py creates both from the definition).

-- Who changed which feature how: the feature's revision number is its ETag.
CREATE TABLE mapserver.live_revisions (
    revision    bigserial PRIMARY KEY,
    layer_slug  text NOT NULL REFERENCES mapserver.layers (slug),
    feature_id  text NOT NULL,
    action      text NOT NULL CHECK (action IN ('create', 'replace', 'update', 'delete')),
    actor       text NOT NULL,
    at          timestamptz NOT NULL DEFAULT now(),
    old         jsonb,             -- the GeoJSON Feature before (NULL for a create)
    new         jsonb              -- and after (NULL for a delete)
);
CREATE INDEX live_revisions_feature_idx ON mapserver.live_revisions (layer_slug, feature_id, revision DESC);

-- The change stream. Ids are handed out under one transaction-level advisory lock held to the commit
-- (etl/live/events.py), so they become visible in id order: a follower reading `id > last` never
-- skips an event that commits later with a smaller id.
CREATE TABLE mapserver.live_events (
    id          bigserial PRIMARY KEY,
    layer_slug  text NOT NULL REFERENCES mapserver.layers (slug),
    feature_id  text NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('create', 'update', 'delete', 'expire')),
    revision    bigint REFERENCES mapserver.live_revisions (revision),
    at          timestamptz NOT NULL DEFAULT now(),
    feature     jsonb              -- the Feature after a create or update; NULL for delete and expire
);
CREATE INDEX live_events_layer_idx ON mapserver.live_events (layer_slug, id);

-- A POST retried with the same Idempotency-Key gets the first answer again, not a second feature.
CREATE TABLE mapserver.idempotency_keys (
    actor           text NOT NULL,
    key             text NOT NULL,
    layer_slug      text NOT NULL,
    request_sha256  text NOT NULL,
    status          integer NOT NULL,
    body            text NOT NULL,
    headers         jsonb NOT NULL DEFAULT '{}',
    at              timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (actor, key)
);
CREATE INDEX idempotency_keys_at_idx ON mapserver.idempotency_keys (at);

-- The last event of each live layer: the state its answers' ETags name (NULL for other layers).
ALTER TABLE mapserver.layers ADD COLUMN live_event bigint;

GRANT SELECT, INSERT ON mapserver.live_revisions, mapserver.live_events TO mapserver_app;
REVOKE UPDATE, DELETE, TRUNCATE ON mapserver.live_revisions, mapserver.live_events FROM mapserver_app;
GRANT SELECT, INSERT, DELETE ON mapserver.idempotency_keys TO mapserver_app;
GRANT USAGE ON SEQUENCE mapserver.live_revisions_revision_seq, mapserver.live_events_id_seq TO mapserver_app;
