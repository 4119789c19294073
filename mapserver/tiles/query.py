"""MVT statements: built once per layer (and version table), with only z, x and y bound per request.

PostGIS does all the work in one statement. The GiST index on `geom` finds the rows with the tile
envelope turned to lon/lat (Web Mercator maps an axis-aligned box to an axis-aligned box, so nothing is
lost), `geom_3857 &&` the envelope then decides as it always did, and the pre-projected `geom_3857` gives
the output: no row is transformed at request time, and geom_3857 needs no index of its own. ST_AsMVT
returns the finished tile bytes, and the statement also stores them in the tile cache.

The tile cache is an UNLOGGED table of the primary (sql/0004): cheap to write, but a hot standby can neither
read nor write it. A node reading a replica therefore cuts every tile it is asked for, and leaves caching to
HTTP: the versioned tile URLs (TileJSON, the map page) name immutable tables and are sent as `immutable` for
a year, so the cache in front of the nodes (nginx, a CDN) answers them after the first, for every node alike.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from prometheus_client import Counter
from psycopg2 import sql

from layers import Layer

log = logging.getLogger(__name__)
# Read by /metrics (mapserver.operations); a hot standby keeps no cache, so it counts nothing.
CACHE_LOOKUPS = Counter("mapserver_tile_cache_lookups", "Tile cache lookups by result.", ["result"])
WORLD_M = 40075016.68557849  # width of the EPSG:3857 square, in metres
MAX_ZOOM = 22
# Degrees added around the lon/lat envelope: more than the float rounding of `geom_3857 &&` (2 m at most),
# so the exact `geom_3857 &&` test that follows keeps the same rows it always kept.
LONLAT_SLACK = 1e-4


@dataclass(frozen=True)
class TileSettings:
    extent: int = 4096
    buffer: int = 64
    cluster_below_zoom: int = 15
    cluster_grid: int = 32

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> TileSettings:
        return cls(int(config["TILE_EXTENT"]), int(config["TILE_BUFFER"]),
                   int(config["TILE_CLUSTER_BELOW_ZOOM"]), int(config["TILE_CLUSTER_GRID"]))


@dataclass(frozen=True)
class TileSource:
    """One layer as a tile is cut from it: the catalog entry, its version and that version's table."""

    layer: Layer
    version: int
    table_name: str
    bbox: tuple[float, float, float, float] | None = None


def _envelope(margin: sql.Composable | None = None) -> sql.Composable:
    if margin is None:
        return sql.SQL("ST_TileEnvelope(%(z)s, %(x)s, %(y)s)")
    return sql.SQL("ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => {})").format(margin)


def _in_tile(alias: str, margin: sql.Composable) -> sql.Composable:
    """Rows in the tile plus its buffer: the index finds them by lon/lat, the Mercator envelope decides."""
    envelope = _envelope(margin)
    return sql.SQL("{a}.geom && ST_Expand(ST_Transform({env}, 4326), {slack}) AND {a}.geom_3857 && {env}").format(
        a=sql.Identifier(alias), env=envelope, slack=sql.Literal(LONLAT_SLACK))


def _cell_size(divisor: int) -> sql.Composable:
    """A length in metres: the tile's width at the requested zoom divided by `divisor`."""
    return sql.SQL("({} / 2 ^ %(z)s / {})").format(sql.Literal(WORLD_M), sql.Literal(divisor))


def _properties(layer: Layer, alias: str) -> sql.Composable:
    """The popup's properties; MVT has no list or date values, so those become text."""
    columns = [sql.SQL("{}.id").format(sql.Identifier(alias))]
    for f in layer.fields:
        column = sql.Identifier(alias, f.name)
        if f.type == "text[]":
            columns.append(sql.SQL("array_to_string({}, ', ') AS {}").format(column, sql.Identifier(f.name)))
        elif f.type == "date":
            columns.append(sql.SQL("{}::text AS {}").format(column, sql.Identifier(f.name)))
        else:
            columns.append(column)
    return sql.SQL(", ").join(columns)


def _warn_without_index(cur, table_name: str) -> None:
    """Without the GiST index on geom every tile scans the whole table: say so once."""
    cur.execute("SELECT 1 FROM pg_indexes WHERE schemaname = 'layer_data' AND tablename = %s"
                " AND indexdef LIKE '%%USING gist (geom)%%'", (table_name,))
    if cur.fetchone() is None:
        log.warning("layer_data.%s has no GiST index on geom: its tiles will scan the whole table", table_name)


class LayerTiles:
    """The tile statements of one layer; each version table's statement is composed once."""

    def __init__(self, layer: Layer, settings: TileSettings):
        self.layer = layer
        self.settings = settings
        self.points_only = layer.geometry_types == ("Point",)
        self._statements: dict[tuple[str, bool], sql.Composable] = {}

    def clustered(self, z: int) -> bool:
        """Dense point layers are clustered below a zoom, so no tile carries every point of a district."""
        return self.points_only and z < self.settings.cluster_below_zoom

    def covers(self, z: int) -> bool:
        return self.layer.min_zoom <= z <= self.layer.max_zoom

    def statement(self, cur, table_name: str, z: int) -> sql.Composable:
        """A scalar subquery returning this layer's MVT bytes for the bound z/x/y."""
        key = (table_name, self.clustered(z))
        if key not in self._statements:
            if not any(k[0] == table_name for k in self._statements):
                _warn_without_index(cur, table_name)
            build = self._clustered if key[1] else self._plain
            self._statements[key] = build(sql.Identifier("layer_data", table_name))
            log.debug("tile statement of %s (clustered: %s): %s", table_name, key[1],
                      self._statements[key].as_string(cur))
        return self._statements[key]

    def _mvt(self, rows: sql.Composable) -> sql.Composable:
        return sql.SQL("(SELECT ST_AsMVT(mvt, {name}, {extent}, 'geom', 'gid') FROM ({rows}) mvt)").format(
            name=sql.Literal(self.layer.slug), extent=sql.Literal(self.settings.extent), rows=rows)

    def _geom(self) -> sql.Composable:
        """Lines and polygons are simplified to half a screen pixel at the zoom; points are left alone."""
        geom = sql.SQL("t.geom_3857")
        if not self.points_only:
            geom = sql.SQL("ST_Simplify(t.geom_3857, {}, true)").format(_cell_size(512))
        return sql.SQL("ST_AsMVTGeom({}, {}, {}, {}, true)").format(
            geom, _envelope(), sql.Literal(self.settings.extent), sql.Literal(self.settings.buffer))

    def _margin(self) -> sql.Composable:
        return sql.Literal(self.settings.buffer / self.settings.extent)

    def _plain(self, table: sql.Composable) -> sql.Composable:
        return self._mvt(sql.SQL(
            "SELECT {geom} AS geom, t.gid, {props} FROM {table} t WHERE {in_tile}"
        ).format(geom=self._geom(), props=_properties(self.layer, "t"), table=table,
                 in_tile=_in_tile("t", self._margin())))

    def _clustered(self, table: sql.Composable) -> sql.Composable:
        # Cells are aligned on the world grid, not on the tile, so two neighbouring tiles agree on
        # the clusters in their shared buffer. Each cell shows its lowest-gid point with a `count`.
        # One sort serves both the window and DISTINCT ON; no join back to the table (the planner
        # misjudges the number of cells and would scan the whole primary key).
        cell = _cell_size(self.settings.cluster_grid)
        return self._mvt(sql.SQL(
            "SELECT {geom} AS geom, t.gid, {props}, t.count FROM ("
            " SELECT DISTINCT ON (s.cx, s.cy) s.*, count(*) OVER (PARTITION BY s.cx, s.cy ORDER BY s.gid"
            "  ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)::integer AS count FROM ("
            "  SELECT r.*, floor(ST_X(r.geom_3857) / {cell}) AS cx, floor(ST_Y(r.geom_3857) / {cell}) AS cy"
            "  FROM {table} r WHERE {in_tile}) s"
            " ORDER BY s.cx, s.cy, s.gid) t"
        ).format(geom=self._geom(), props=_properties(self.layer, "t"), table=table,
                 in_tile=_in_tile("r", self._margin()), cell=cell))


def tile_statement(parts: list[sql.Composable], store: bool) -> sql.Composable:
    """One statement for the whole (possibly combined) tile; layers are MVT layers, so bytes concatenate.

    With `store`, the same statement writes the tile into the cache (params: layers, version).
    """
    tile = sql.SQL(" || ").join(sql.SQL("coalesce({}, ''::bytea)").format(p) for p in parts)
    if not store:
        return sql.SQL("SELECT {}").format(tile)
    return sql.SQL(
        "WITH t AS (SELECT {} AS tile), ins AS ("
        " INSERT INTO mapserver.tile_cache (layers, version, z, x, y, tile)"
        " SELECT %(layers)s, %(version)s, %(z)s, %(x)s, %(y)s, tile FROM t ON CONFLICT DO NOTHING)"
        " SELECT tile FROM t"
    ).format(tile)


def has_tile_cache(cur) -> bool:
    """Whether this connection's server keeps the tile cache: a primary does, a hot standby cannot (asked
    without a round trip; a promoted standby starts keeping it)."""
    return not cur.connection.hot_standby


def cached_tile(cur, params: dict) -> bytes | None:
    """The tile from mapserver.tile_cache (one primary-key lookup), or None."""
    cur.execute("SELECT tile FROM mapserver.tile_cache WHERE layers = %(layers)s AND version = %(version)s"
                " AND z = %(z)s AND x = %(x)s AND y = %(y)s", params)
    row = cur.fetchone()
    CACHE_LOOKUPS.labels("miss" if row is None else "hit").inc()
    return None if row is None else bytes(row[0])


def cut_tile(cur, parts: list[sql.Composable], params: dict, store: bool) -> bytes:
    """Cut the tile (and store it in the cache, committed with the cut) in one statement; outside a
    transaction (mapserver.web.db.read_on) the commit costs nothing."""
    cur.execute(tile_statement(parts, store), params)
    tile = bytes(cur.fetchone()[0] or b"")
    if store:
        cur.connection.commit()
    return tile


def kept_table(cur, slug: str, version: int) -> str | None:
    """The table of a layer version that is still kept (published, retired or ready), else None."""
    cur.execute("SELECT table_name FROM mapserver.layer_versions"
                " WHERE layer_slug = %s AND version = %s AND status <> 'dropped'", (slug, version))
    row = cur.fetchone()
    return None if row is None else row[0]


def not_replayed_yet(cur, slug: str, version: int) -> bool:
    """A version this hot standby has no row of at all: another node (on the primary, or a replica further
    along) has named it already, and it arrives with the replay."""
    if not cur.connection.hot_standby:
        return False
    cur.execute("SELECT 1 FROM mapserver.layer_versions WHERE layer_slug = %s AND version = %s", (slug, version))
    return cur.fetchone() is None
