-- Who published which version when, and which versions were rolled back: a rollback goes back along
-- this history (the version live before the current one, skipping rejected ones), not by version number.

CREATE TABLE mapserver.publications (
    id                bigserial PRIMARY KEY,
    layer_slug        text NOT NULL,
    version           integer NOT NULL,
    previous_version  integer,
    action            text NOT NULL CHECK (action IN ('publish', 'rollback')),
    actor             text NOT NULL,
    at                timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (layer_slug, version) REFERENCES mapserver.layer_versions (layer_slug, version)
);
CREATE INDEX publications_layer_idx ON mapserver.publications (layer_slug, id DESC);

ALTER TABLE mapserver.layer_versions
    ADD COLUMN published_by   text,
    ADD COLUMN rolled_back_at timestamptz,
    ADD COLUMN rolled_back_by text;

-- The history before this migration: each version's last publication, in time order.
UPDATE mapserver.layer_versions SET published_by = coalesce(created_by, 'unknown') WHERE published_at IS NOT NULL;
INSERT INTO mapserver.publications (layer_slug, version, action, actor, at)
SELECT layer_slug, version, 'publish', published_by, published_at
FROM mapserver.layer_versions WHERE published_at IS NOT NULL ORDER BY published_at, version;

GRANT SELECT, INSERT ON mapserver.publications TO mapserver_app;
REVOKE UPDATE, DELETE ON mapserver.publications FROM mapserver_app;
GRANT USAGE ON SEQUENCE mapserver.publications_id_seq TO mapserver_app;
