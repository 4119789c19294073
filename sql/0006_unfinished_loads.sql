-- Loads in progress. A load commits its version table before building the indexes (two sessions build
-- them at once, and a session sees only committed tables), so for a while the table exists without its
-- layer_versions row and no reader can reach it. This row names it meanwhile: one left behind by a load
-- that crashed lets the next load of the layer, or `mapserver db migrate`, drop the table.
CREATE TABLE mapserver.unfinished_loads (
    layer_slug  text NOT NULL REFERENCES mapserver.layers (slug),
    version     integer NOT NULL,
    table_name  text NOT NULL UNIQUE,
    started_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (layer_slug, version)
);
