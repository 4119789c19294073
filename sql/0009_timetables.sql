-- The transit network's timetable (issue 17), versioned and published like a layer.
--
-- A GTFS feed becomes one immutable version: its stops, routes, service days, shapes and trips (each
-- trip's stops and times as arrays, frequencies already expanded into trips). The router builds its
-- arrays from the published version once per process. Publishing and rollback go through
-- etl/publish.py exactly as for layers: `networks` holds the published version, `network_versions`
-- each version's status and who published or rolled it back, `network_publications` the history.

CREATE TABLE mapserver.networks (
    slug              text PRIMARY KEY CHECK (slug ~ '^[a-z][a-z0-9_]{0,39}$'),
    published_version integer,
    updated_at        timestamptz NOT NULL DEFAULT now()
);
INSERT INTO mapserver.networks (slug) VALUES ('transit');

CREATE TABLE mapserver.network_versions (
    network_slug   text NOT NULL REFERENCES mapserver.networks (slug),
    version        integer NOT NULL CHECK (version > 0),
    status         text NOT NULL DEFAULT 'ready' CHECK (status IN ('ready', 'published', 'retired', 'dropped')),
    timezone       text NOT NULL,
    first_date     date NOT NULL,
    last_date      date NOT NULL,
    counts         jsonb NOT NULL DEFAULT '{}',
    source_name    text,
    source_sha256  text,
    report         jsonb NOT NULL DEFAULT '{}',
    created_by     text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    published_at   timestamptz,
    published_by   text,
    rolled_back_at timestamptz,
    rolled_back_by text,
    PRIMARY KEY (network_slug, version)
);
ALTER TABLE mapserver.networks
    ADD CONSTRAINT networks_published_version_fk
    FOREIGN KEY (slug, published_version) REFERENCES mapserver.network_versions (network_slug, version);

CREATE TABLE mapserver.network_publications (
    id                bigserial PRIMARY KEY,
    network_slug      text NOT NULL,
    version           integer NOT NULL,
    previous_version  integer,
    action            text NOT NULL CHECK (action IN ('publish', 'rollback')),
    actor             text NOT NULL,
    at                timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (network_slug, version) REFERENCES mapserver.network_versions (network_slug, version)
);
CREATE INDEX network_publications_idx ON mapserver.network_publications (network_slug, id DESC);

-- A version's rows; deleting the version's rows is how it is dropped (etl/publish.py prune).
CREATE TABLE mapserver.timetable_stops (
    network_slug text NOT NULL,
    version      integer NOT NULL,
    stop_id      text NOT NULL,
    name         text NOT NULL,
    geom         geometry(Point, 4326) NOT NULL,
    parent_station text,
    PRIMARY KEY (network_slug, version, stop_id),
    FOREIGN KEY (network_slug, version) REFERENCES mapserver.network_versions (network_slug, version)
);

CREATE TABLE mapserver.timetable_routes (
    network_slug text NOT NULL,
    version      integer NOT NULL,
    route_id     text NOT NULL,
    agency_name  text,
    short_name   text NOT NULL,
    long_name    text NOT NULL,
    route_type   integer NOT NULL,
    PRIMARY KEY (network_slug, version, route_id),
    FOREIGN KEY (network_slug, version) REFERENCES mapserver.network_versions (network_slug, version)
);

CREATE TABLE mapserver.timetable_services (
    network_slug text NOT NULL,
    version      integer NOT NULL,
    service_id   text NOT NULL,
    dates        date[] NOT NULL,
    PRIMARY KEY (network_slug, version, service_id),
    FOREIGN KEY (network_slug, version) REFERENCES mapserver.network_versions (network_slug, version)
);

CREATE TABLE mapserver.timetable_shapes (
    network_slug text NOT NULL,
    version      integer NOT NULL,
    shape_id     text NOT NULL,
    geom         geometry(LineString, 4326) NOT NULL,
    PRIMARY KEY (network_slug, version, shape_id),
    FOREIGN KEY (network_slug, version) REFERENCES mapserver.network_versions (network_slug, version)
);

-- Times are seconds after midnight of the service day, in the feed's time zone (may pass 24:00:00).
CREATE TABLE mapserver.timetable_trips (
    network_slug text NOT NULL,
    version      integer NOT NULL,
    trip_id      text NOT NULL,
    route_id     text NOT NULL,
    service_id   text NOT NULL,
    headsign     text NOT NULL DEFAULT '',
    shape_id     text,
    stop_ids     text[] NOT NULL,
    arrivals     integer[] NOT NULL,
    departures   integer[] NOT NULL,
    PRIMARY KEY (network_slug, version, trip_id),
    FOREIGN KEY (network_slug, version) REFERENCES mapserver.network_versions (network_slug, version),
    CHECK (cardinality(stop_ids) >= 2 AND cardinality(arrivals) = cardinality(stop_ids)
           AND cardinality(departures) = cardinality(stop_ids))
);

GRANT SELECT ON mapserver.networks, mapserver.network_versions, mapserver.network_publications,
    mapserver.timetable_stops, mapserver.timetable_routes, mapserver.timetable_services,
    mapserver.timetable_shapes, mapserver.timetable_trips TO mapserver_app;
GRANT INSERT ON mapserver.network_versions, mapserver.network_publications, mapserver.timetable_stops,
    mapserver.timetable_routes, mapserver.timetable_services, mapserver.timetable_shapes,
    mapserver.timetable_trips TO mapserver_app;
GRANT UPDATE ON mapserver.networks, mapserver.network_versions TO mapserver_app;
GRANT DELETE ON mapserver.timetable_stops, mapserver.timetable_routes, mapserver.timetable_services,
    mapserver.timetable_shapes, mapserver.timetable_trips TO mapserver_app;
REVOKE UPDATE, DELETE ON mapserver.network_publications FROM mapserver_app;
REVOKE DELETE ON mapserver.networks, mapserver.network_versions FROM mapserver_app;
GRANT USAGE ON SEQUENCE mapserver.network_publications_id_seq TO mapserver_app;
REVOKE UPDATE ON mapserver.timetable_stops, mapserver.timetable_routes, mapserver.timetable_services,
    mapserver.timetable_shapes, mapserver.timetable_trips FROM mapserver_app;
