-- Foundation: extensions, the layer catalog, immutable layer versions, agencies, append-only audit log.
-- Version tables (one per layer version) live in schema layer_data; the catalog in schema mapserver.

CREATE EXTENSION IF NOT EXISTS postgis;
CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE SCHEMA IF NOT EXISTS mapserver;
CREATE SCHEMA IF NOT EXISTS layer_data;

CREATE TABLE mapserver.agencies (
    id          serial PRIMARY KEY,
    slug        text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    name_vi     text NOT NULL,
    name_en     text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- One row per layer of the catalog (layers/definitions). published_version points at the
-- version readers see; it changes only inside etl.publish's single transaction.
CREATE TABLE mapserver.layers (
    slug              text PRIMARY KEY CHECK (slug ~ '^[a-z][a-z0-9_]{0,39}$'),
    agency_id         integer REFERENCES mapserver.agencies (id),
    visibility        text NOT NULL DEFAULT 'public' CHECK (visibility IN ('public', 'internal')),
    title_vi          text NOT NULL,
    title_en          text NOT NULL,
    published_version integer,
    updated_at        timestamptz NOT NULL DEFAULT now()
);

-- A version is immutable once loaded: its table is never written again, only dropped when
-- it falls out of the retention window.
CREATE TABLE mapserver.layer_versions (
    layer_slug     text NOT NULL REFERENCES mapserver.layers (slug),
    version        integer NOT NULL CHECK (version > 0),
    table_name     text NOT NULL,
    status         text NOT NULL DEFAULT 'ready' CHECK (status IN ('ready', 'published', 'retired', 'dropped')),
    feature_count  integer NOT NULL DEFAULT 0,
    bbox           double precision[4],
    source_name    text,
    source_sha256  text,
    report         jsonb NOT NULL DEFAULT '{}',
    created_by     text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    published_at   timestamptz,
    PRIMARY KEY (layer_slug, version),
    UNIQUE (table_name)
);

ALTER TABLE mapserver.layers
    ADD CONSTRAINT layers_published_version_fk
    FOREIGN KEY (slug, published_version) REFERENCES mapserver.layer_versions (layer_slug, version);

CREATE TABLE mapserver.audit_log (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    actor       text NOT NULL,
    agency_id   integer REFERENCES mapserver.agencies (id),
    action      text NOT NULL,
    target      text,
    client_addr inet,
    result      text NOT NULL CHECK (result IN ('ok', 'refused', 'failed')),
    details     jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_at_idx ON mapserver.audit_log (at DESC);

-- Append-only, whoever connects: a trigger refuses UPDATE, DELETE and TRUNCATE.
CREATE FUNCTION mapserver.audit_log_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER audit_log_no_update_delete
    BEFORE UPDATE OR DELETE ON mapserver.audit_log
    FOR EACH ROW EXECUTE FUNCTION mapserver.audit_log_refuse_change();
CREATE TRIGGER audit_log_no_truncate
    BEFORE TRUNCATE ON mapserver.audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION mapserver.audit_log_refuse_change();

-- unaccent() is only STABLE; an IMMUTABLE wrapper with a fixed dictionary lets search
-- expressions be indexed (pg_trgm GIN indexes on the folded text, built at load time).
CREATE FUNCTION mapserver.fold(text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
    SELECT lower(public.unaccent('public.unaccent'::regdictionary, replace(replace($1, 'đ', 'd'), 'Đ', 'D')))
$$;

-- array_to_string() is STABLE in general but IMMUTABLE for text[]; the wrapper lets a
-- list field (bus stop routes) take part in a generated search column.
CREATE FUNCTION mapserver.join_text(text[]) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT array_to_string($1, ' ')
$$;
