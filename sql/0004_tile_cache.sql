-- Tile cache: finished MVT bytes, shared by every server process, keyed by the layer(s), the
-- published version(s) they were cut from, and z/x/y. A version table never changes, so a cached
-- tile is valid for as long as its key; publishing a new version only changes the key readers ask
-- for. The trigger below still clears a layer's tiles when it is (re)published, so old versions
-- do not pile up.
--
-- UNLOGGED: tiles are derived data, rebuilt on the next request. Skipping the WAL makes writes
-- cheap; the price is that PostgreSQL empties the table after a crash, and a streaming replica
-- cannot read it (point a read replica's app at the primary for the cache, or make it LOGGED).
CREATE UNLOGGED TABLE mapserver.tile_cache (
    layers     text NOT NULL,      -- one slug, or several joined by ',' for a combined tile
    version    text NOT NULL,      -- the published version of each, joined by '-'
    z          smallint NOT NULL,
    x          integer NOT NULL,
    y          integer NOT NULL,
    tile       bytea NOT NULL,     -- empty for a tile with no feature (answered 204)
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (layers, version, z, x, y)
);

CREATE FUNCTION mapserver.tile_cache_forget_layer() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM mapserver.tile_cache WHERE NEW.slug = ANY (string_to_array(layers, ','));
    RETURN NULL;
END $$;

CREATE TRIGGER tile_cache_forget_on_publish
    AFTER UPDATE OF published_version ON mapserver.layers
    FOR EACH ROW EXECUTE FUNCTION mapserver.tile_cache_forget_layer();
