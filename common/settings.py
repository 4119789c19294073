"""Settings: defaults here, overridden by an instance file, then by the environment.

Every limit is a named setting (DESIGN: limits are settings). `config.example.toml` at
the top of the repository documents each one.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tomllib
from pathlib import Path
from typing import Any

DEFAULTS: dict[str, Any] = {
    # PostgreSQL/PostGIS to serve from; `make run` sets it to the checkout's local cluster.
    "DATABASE_URL": None,
    # Replicas (hot standbys) the read routes use: one URL, several separated by commas or spaces, or one
    # libpq multi-host URL. Unset: reads use DATABASE_URL. A replica that refuses a connection is tried
    # again only after the others for READ_URL_RETRY_S.
    "DATABASE_READ_URL": None,
    "READ_URL_RETRY_S": 10.0,
    # /readyz reports a replica whose replay is further behind its primary than this as not ready.
    "MAX_REPLICA_LAG_S": 30.0,
    # Who may read /metrics: loopback and the private ranges, where a scraper lives (CIDRs).
    "METRICS_ALLOW": ["127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"],
    # Peers whose X-Forwarded-For (and X-Forwarded-Proto) name the client (the proxies in front, e.g. nginx).
    "TRUSTED_PROXIES": [],
    "POOL_MAX_CONNECTIONS": 8,
    "STATEMENT_TIMEOUT_MS": 10_000,
    "CONNECT_TIMEOUT_S": 3,
    # Read statements are prepared once per pooled connection. Set false behind a pooler that hands
    # one session to many clients (PgBouncer in transaction mode before 1.21).
    "DB_PREPARED_STATEMENTS": True,
    # Read API limits.
    "PAGE_LIMIT_DEFAULT": 100,
    "PAGE_LIMIT_MAX": 10_000,
    "NEAREST_LIMIT_MAX": 100,
    "NEARBY_PER_LAYER_MAX": 20,
    "RADIUS_MAX_M": 50_000,
    "SEARCH_LIMIT_MAX": 100,
    "SEARCH_SIMILARITY_MIN": 0.4,  # pg_trgm word similarity a match needs (one typo in a short word ~0.5)
    # Cache-Control max-age (seconds): API metadata, and features (ETags carry the published version).
    "CACHE_METADATA_S": 300,
    "CACHE_FEATURES_S": 60,
    "CACHE_JOURNEYS_S": 30,  # journeys depend on the minute they are asked for
    "CACHE_LIVE_S": 0,  # live layers: clients revalidate (their ETag names the layer's last event)
    # A layer version this process confirmed less than this long ago is read without re-checking the
    # catalog in the same statement; after a publish, answers follow within this time (mapserver/web/state.py).
    "VERSION_RECHECK_S": 1.0,
    # Live layers (issue 18). The public base URL of the change-stream service (`mapserver live serve`), where
    # `.../changes` streams are sent (307) when a proxy in front does not route them there itself; unset: the
    # streams are on this origin. The stream service marks expired features every LIVE_SWEEP_S.
    "LIVE_STREAM_URL": None,
    "LIVE_SWEEP_S": 1.0,
    # Each idle stream gets a comment this often: keep it well inside the read timeout of every proxy in front.
    "LIVE_STREAM_KEEPALIVE_S": 15.0,
    # Events a stream may have waiting (a client that stopped reading) before it is closed; it resumes from its
    # Last-Event-ID with nothing lost.
    "LIVE_STREAM_QUEUE_MAX": 2000,
    "LIVE_MAX_BODY_BYTES": 5 * 1024 * 1024,  # one write (a FeatureCollection or a CAP message)
    "LIVE_CHANGES_LIMIT_MAX": 1000,  # events per `?since=` answer
    # Write path.
    "KEEP_VERSIONS": 5,
    "ETL_CHUNK_ROWS": 25_000,  # peak memory stays flat from 200k rows up (50_000: +50 MB by 1M rows)
    "ETL_INDEX_MEMORY": "512MB",  # PostgreSQL's maintenance_work_mem in each of a load's two index sessions
    "MAX_UPLOAD_BYTES": 200 * 1024 * 1024,
    # Archives (zip, KMZ, GTFS): the most their members may unpack to, in total and per compressed byte.
    "ARCHIVE_MAX_UNCOMPRESSED_BYTES": 2 * 1024 * 1024 * 1024,
    "ARCHIVE_MAX_RATIO": 200,
    "ARCHIVE_MAX_MEMBERS": 10_000,
    # Rows with the same name closer than this are reported as near-duplicates.
    "NEAR_DUPLICATE_METRES": 5.0,
    # The deployment's area (lon/lat): rows outside it are rejected by the ETL.
    # Default: Ho Chi Minh City since 2025 (incl. former Binh Duong and Ba Ria - Vung Tau).
    "AREA_BBOX": (106.2, 10.3, 107.7, 11.6),
    # Agencies: sessions, uploads, logins, rate limits, tokens, the job queue.
    "SECRET_KEY": None,  # unset: generated once into instance/secret_key (one machine); set it on several
    "SESSION_COOKIE_SECURE": True,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "PERMANENT_SESSION_LIFETIME": 8 * 3600,
    "UPLOAD_DIR": "var/uploads",
    "ALLOWED_UPLOAD_EXTENSIONS": (".geojson", ".json", ".gpkg", ".csv", ".xlsx", ".xls", ".ods", ".kml", ".kmz",
                                  ".zip"),
    "LOGIN_MAX_FAILURES": 5,
    "LOGIN_LOCK_MINUTES": 15,
    "RATELIMIT_LOGIN": "10 per minute",
    "RATELIMIT_WRITE_ADDRESS": "60 per minute",
    "RATELIMIT_WRITE_TOKEN": "30 per minute",
    "RATELIMIT_STORAGE_URI": "postgresql+mapserver://",  # the primary (DATABASE_URL); memory:// for one dev node, redis://...
    "TOKEN_DAYS_DEFAULT": 90,
    "JOB_MAX_ATTEMPTS": 3,
    "JOB_HEARTBEAT_S": 5.0,
    "JOB_STALE_S": 60.0,
    "JOB_POLL_S": 1.0,
    # An upload stopped for the clerk's mapping keeps its file this long, then fails (upload it again).
    "JOB_MAPPING_KEEP_S": 86_400.0,
    "WORKER_THREADS": 2,
    "PREVIEW_MAX_FEATURES": 5000,
    # The 2025 wards loaded as the `wards` reference layer at set-up: province codes (79 = Ho Chi Minh City)
    # or "all" for the whole country.
    "WARDS_PROVINCES": "79",
    # Address normalisation: a row's ward is reported when its point lies farther from the ward's centroid
    # than this many times the radius of a disc of the ward's area.
    "ADDRESS_WARD_DISTANCE_FACTOR": 3.0,
    # Service coverage per ward (/api/coverage): default and largest radius in metres.
    "COVERAGE_RADIUS_DEFAULT": 2000,
    "COVERAGE_RADIUS_MAX": 50_000,
    "DEFAULT_LANGUAGE": "vi",
    "BASEMAP_URL": "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
    "BASEMAP_ATTRIBUTION": "© OpenStreetMap contributors",
    # The map page's first view (lon, lat, zoom): central Ho Chi Minh City.
    "MAP_CENTER": (106.700, 10.776),
    "MAP_ZOOM": 13,
    # Layers the map page lists but shows only when the citizen turns them on (dense ones).
    "MAP_LAYERS_OFF": ["bus_stops"],
    # Vector tiles: MVT extent and buffer (tile units); below TILE_CLUSTER_BELOW_ZOOM point layers are
    # clustered on a TILE_CLUSTER_GRID x TILE_CLUSTER_GRID grid per tile (at most grid² features).
    "TILE_EXTENT": 4096,
    "TILE_BUFFER": 64,
    "TILE_CLUSTER_BELOW_ZOOM": 15,
    "TILE_CLUSTER_GRID": 32,
    # Tiles up to this zoom are kept in mapserver.tile_cache; the unversioned tile URL is cached this long.
    "TILE_CACHE_MAX_ZOOM": 18,
    "TILE_MAX_AGE_S": 300,
    # Responses gzipped (mapserver/web/compress.py) when the client accepts it: JSON answers, pages, their files, tiles.
    "COMPRESS_MIMETYPES": ["application/json", "application/geo+json", "application/schema+json",
                           "application/vnd.oai.openapi+json", "text/csv", "text/html", "text/css",
                           "text/javascript", "application/javascript", "image/svg+xml",
                           "application/vnd.mapbox-vector-tile"],
    "COMPRESS_MIN_SIZE": 1000,
    # ISA-L level (0-3): 1 compresses a page of features to within 3 % of zlib's level 3, 2-4x faster;
    # ISA-L's 3 is four times slower than its 1 for 2 % fewer bytes.
    "COMPRESS_LEVEL": 1,
}


class SettingsError(RuntimeError):
    """A setting the operator must set or correct before the command can run."""


def database_url(config: dict[str, Any]) -> str:
    """The URL to connect to, or a clear error naming the variable to set."""
    url = config.get("DATABASE_URL") or os.environ.get("DATABASE_URL")
    if not url:
        raise SettingsError(
            "DATABASE_URL is not set: run through `make run` (which starts a local PostGIS) "
            "or export DATABASE_URL=postgresql://user:pass@host:port/dbname"
        )
    return url


# Several URLs are separated by commas or spaces before the next URL's scheme; a multi-host URL's own
# commas (`postgresql://h1:5432,h2:5432/db`) are not followed by one.
_URL_SEPARATOR = re.compile(r"[\s,]+(?=postgres(?:ql)?://)")


def database_read_urls(config: dict[str, Any]) -> list[str]:
    """The databases of the read routes (DATABASE_READ_URL, a string or, in the instance file, a list); empty:
    the reads go to DATABASE_URL. A keyword/value DSN (`host=... dbname=...`) is one database."""
    value = config.get("DATABASE_READ_URL")
    if not value:
        return []
    if isinstance(value, str):
        value = _URL_SEPARATOR.split(value.strip()) if "://" in value else [value.strip()]
    return [url.strip() for url in value if url.strip()]


def instance_path() -> Path:
    """The folder of the instance file and the generated secret key, the same for the app and the commands:
    `instance/` beside the packages, where Flask puts a checkout's instance folder."""
    return Path(__file__).resolve().parent.parent / "instance"


def load(overrides: dict[str, Any] | None = None, instance: Path | None = None) -> dict[str, Any]:
    """Defaults, then `instance/mapserver.toml`, then MAPSERVER_*, DATABASE_URL and DATABASE_READ_URL variables,
    then `overrides`.

    The rules are Flask's (`Config.from_file`, `from_prefixed_env`, `from_mapping`), so the web app and the
    commands, which load no Flask, read the same settings."""
    settings = dict(DEFAULTS)
    settings.update(_upper(_instance_file(instance or instance_path())))
    _update_from_env(settings, "MAPSERVER_")
    for name in ("DATABASE_URL", "DATABASE_READ_URL"):
        if os.environ.get(name):
            settings[name] = os.environ[name]
    settings.update(_upper(overrides or {}))
    settings["AREA_BBOX"] = tuple(float(v) for v in settings["AREA_BBOX"])
    _check_memory("ETL_INDEX_MEMORY", settings["ETL_INDEX_MEMORY"])
    return settings


# A PostgreSQL memory setting: a number of kB, or a number and its unit.
_MEMORY = re.compile(r"\s*(\d+)\s*(B|kB|MB|GB|TB)?\s*")
_KILOBYTES = {"B": 1 / 1024, None: 1, "kB": 1, "MB": 1 << 10, "GB": 1 << 20, "TB": 1 << 30}


def _check_memory(name: str, value: Any) -> None:
    """Refused when the settings are read, not when PostgreSQL refuses it at the end of a load's COPY."""
    match = _MEMORY.fullmatch(str(value))
    if not match or not (1 << 10) <= int(match[1]) * _KILOBYTES[match[2]] <= (1 << 31) - 1:
        raise SettingsError(f"{name} = {value!r} is not a PostgreSQL memory size from 1MB to 2047GB, such as \"512MB\"")


def _upper(mapping: dict[str, Any]) -> dict[str, Any]:
    """Only upper-case keys are settings (Flask's `from_mapping`)."""
    return {key: value for key, value in mapping.items() if key.isupper()}


def _instance_file(instance: Path) -> dict[str, Any]:
    try:
        with (instance / "mapserver.toml").open("rb") as fh:
            return tomllib.load(fh)
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return {}


def _update_from_env(settings: dict[str, Any], prefix: str) -> None:
    """PREFIX_KEY=value, the value read as JSON when it is JSON; PREFIX_A__B sets settings["A"]["B"]."""
    for name in sorted(os.environ):
        if not name.startswith(prefix):
            continue
        value: Any = os.environ[name]
        with contextlib.suppress(ValueError):
            value = json.loads(value)
        *parents, key = name.removeprefix(prefix).split("__")
        target = settings
        for part in parents:
            target = target.setdefault(part, {})
        target[key] = value
