"""GET /api/tiles/...: MVT tiles checked against the database, TileJSON, caching headers, errors."""

from __future__ import annotations

import math

import geopandas as gpd
import mapbox_vector_tile
import psycopg2
import psycopg2.sql
import pyogrio
import pytest
import requests
import shapely

from common.settings import DEFAULTS
from etl.pipeline import LoadOptions, load_file
from etl.publish import publish
from mapserver import create_app
from mapserver.web.catalog import published
from tests.serving import serving

MVT = "application/vnd.mapbox-vector-tile"
EXTENT, BUFFER = DEFAULTS["TILE_EXTENT"], DEFAULTS["TILE_BUFFER"]
WORLD = 40075016.68557849


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return z, x, y


def decode(data: bytes) -> dict:
    return mapbox_vector_tile.decode(data, default_options={"y_coord_down": True})


def published_table(cur, slug: str) -> tuple[int, str]:
    layer = published(cur, slug)
    return layer.version, layer.table_name


def db_features(cur, slug: str, z: int, x: int, y: int) -> dict[str, tuple]:
    """The layer's points inside the tile and its buffer: id -> (name, kind, lon, lat)."""
    _, table = published_table(cur, slug)
    cur.execute(f"SELECT id, name, kind, ST_X(geom), ST_Y(geom) FROM layer_data.{table} "
                "WHERE ST_Intersects(geom_3857, ST_TileEnvelope(%s, %s, %s, margin => %s))",
                (z, x, y, BUFFER / EXTENT))
    return {row[0]: row[1:] for row in cur.fetchall()}


def tile_lonlat(px: float, py: float, z: int, x: int, y: int) -> tuple[float, float]:
    """Tile coordinates (y down) back to lon/lat."""
    size = WORLD / 2 ** z
    mx = -WORLD / 2 + (x + px / EXTENT) * size
    my = WORLD / 2 - (y + py / EXTENT) * size
    return math.degrees(mx / 6378137.0), math.degrees(2 * math.atan(math.exp(my / 6378137.0)) - math.pi / 2)


@pytest.fixture
def cur(conn):
    with conn.cursor() as c:
        yield c


@pytest.fixture
def busy_tiles(cur):
    """Tiles at z15 and z16 around the five health facilities nearest the city centre."""
    _, table = published_table(cur, "health")
    cur.execute(f"SELECT ST_X(geom), ST_Y(geom) FROM layer_data.{table} "
                "ORDER BY geom <-> ST_SetSRID(ST_MakePoint(106.70, 10.776), 4326) LIMIT 5")
    points = cur.fetchall()
    return sorted({tile_of(lon, lat, z) for lon, lat in points for z in (15, 16)})


@pytest.mark.parametrize("slug", ["health", "bus_stops"])
def test_a_tile_at_z15_16_holds_exactly_the_databases_points(server, cur, busy_tiles, slug):
    checked = 0
    for z, x, y in busy_tiles:
        r = requests.get(f"{server}/api/tiles/{slug}/{z}/{x}/{y}.mvt", timeout=10)
        expected = db_features(cur, slug, z, x, y)
        if not expected:
            assert r.status_code == 204 and r.content == b""
            continue
        assert r.status_code == 200 and r.headers["Content-Type"] == MVT
        features = decode(r.content)[slug]["features"]
        got = {f["properties"]["id"]: f for f in features}
        assert set(got) == set(expected) and len(features) == len(expected)
        for fid, (name, kind, lon, lat) in expected.items():
            props = got[fid]["properties"]
            assert (props["name"], props["kind"]) == (name, kind)
            assert "count" not in props
            glon, glat = tile_lonlat(*got[fid]["geometry"]["coordinates"], z, x, y)
            assert abs(glon - lon) < 360 / 2 ** z / EXTENT * 1.5 and abs(glat - lat) < 360 / 2 ** z / EXTENT * 1.5
        checked += len(expected)
    assert checked > 0


def test_popup_properties_travel_with_each_feature(server, cur, busy_tiles):
    z, x, y = busy_tiles[0]
    r = requests.get(f"{server}/api/tiles/health/{z}/{x}/{y}.mvt", timeout=10)
    feature = decode(r.content)["health"]["features"][0]
    assert {"id", "name", "kind", "address", "phone", "opening_hours"} <= set(feature["properties"])
    assert isinstance(feature["id"], int)


def test_lines_are_in_the_tiles_they_cross(server, cur):
    z, x, y = tile_of(106.70, 10.776, 15)
    r = requests.get(f"{server}/api/tiles/transport/{z}/{x}/{y}.mvt", timeout=10)
    got = {f["properties"]["id"] for f in decode(r.content)["transport"]["features"]}
    _, table = published_table(cur, "transport")
    cur.execute(f"SELECT id FROM layer_data.{table} WHERE ST_Intersects(geom_3857, ST_TileEnvelope(%s, %s, %s))",
                (z, x, y))
    inside = {row[0] for row in cur.fetchall()}
    cur.execute(f"SELECT id FROM layer_data.{table} WHERE geom_3857 && ST_TileEnvelope(%s, %s, %s, margin => %s)",
                (z, x, y, BUFFER / EXTENT))
    near = {row[0] for row in cur.fetchall()}
    assert inside and inside <= got <= near


def test_low_zoom_point_tiles_are_clustered_and_count_every_point(server, cur):
    z, x, y = tile_of(106.70, 10.776, 12)
    r = requests.get(f"{server}/api/tiles/bus_stops/{z}/{x}/{y}.mvt", timeout=10)
    features = decode(r.content)["bus_stops"]["features"]
    expected = db_features(cur, "bus_stops", z, x, y)
    grid = DEFAULTS["TILE_CLUSTER_GRID"]
    assert len(features) < len(expected)
    assert sum(f["properties"]["count"] for f in features) == len(expected)
    assert len(features) <= (grid * (1 + 2 * BUFFER / EXTENT) + 1) ** 2
    assert {f["properties"]["id"] for f in features} <= set(expected)


def test_a_combined_tile_carries_one_layer_per_slug(server, busy_tiles):
    z, x, y = busy_tiles[-1]
    combined = decode(requests.get(f"{server}/api/tiles/health,education/{z}/{x}/{y}.mvt", timeout=10).content)
    for slug in ("health", "education"):
        r = requests.get(f"{server}/api/tiles/{slug}/{z}/{x}/{y}.mvt", timeout=10)
        alone = decode(r.content).get(slug, {"features": []})["features"]
        assert sorted(f["properties"]["id"] for f in combined.get(slug, {"features": []})["features"]) == \
            sorted(f["properties"]["id"] for f in alone)
    assert "health" in combined


def test_tilejson_describes_the_layer_with_a_versioned_url(server, cur, catalog):
    r = requests.get(f"{server}/api/tiles/health.json", timeout=10, headers={"Accept-Language": "en"})
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/json"
    doc = r.json()
    version, _ = published_table(cur, "health")
    assert doc["tilejson"] == "3.0.0" and doc["scheme"] == "xyz"
    assert doc["tiles"] == [f"{server}/api/tiles/health/v{version}/{{z}}/{{x}}/{{y}}.mvt"]
    assert (doc["minzoom"], doc["maxzoom"]) == (catalog["health"].min_zoom, catalog["health"].max_zoom)
    west, south, east, north = doc["bounds"]
    area = DEFAULTS["AREA_BBOX"]
    assert area[0] <= west < east <= area[2] and area[1] <= south < north <= area[3]
    assert west <= doc["center"][0] <= east and south <= doc["center"][1] <= north
    (layer,) = doc["vector_layers"]
    assert layer["id"] == "health" and set(catalog["health"].field_names) | {"id", "count"} == set(layer["fields"])
    assert layer["fields"]["name"] == "Name"
    tile_url = doc["tiles"][0].format(z=16, x=tile_of(106.70, 10.776, 16)[1], y=tile_of(106.70, 10.776, 16)[2])
    assert requests.get(tile_url, timeout=10).status_code in (200, 204)


def test_combined_tilejson_lists_both_layers(server):
    doc = requests.get(f"{server}/api/tiles/health,education.json", timeout=10).json()
    assert [v["id"] for v in doc["vector_layers"]] == ["health", "education"]
    assert "/api/tiles/health,education/v" in doc["tiles"][0]


def test_versioned_tiles_are_immutable_and_etags_give_304(server, cur, busy_tiles):
    z, x, y = busy_tiles[0]
    version, _ = published_table(cur, "health")
    plain = requests.get(f"{server}/api/tiles/health/{z}/{x}/{y}.mvt", timeout=10)
    assert plain.headers["Cache-Control"] == f"public, max-age={DEFAULTS['TILE_MAX_AGE_S']}"
    versioned = requests.get(f"{server}/api/tiles/health/v{version}/{z}/{x}/{y}.mvt", timeout=10)
    assert versioned.status_code == 200 and "immutable" in versioned.headers["Cache-Control"]
    assert decode(versioned.content) == decode(plain.content)
    etag = versioned.headers["ETag"]
    again = requests.get(f"{server}/api/tiles/health/v{version}/{z}/{x}/{y}.mvt", timeout=10,
                         headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    raw = requests.get(f"{server}/api/tiles/health/{z}/{x}/{y}.mvt", timeout=10,
                       headers={"If-None-Match": f'"health/v{version}/{z}/{x}/{y}:gzip"'})
    assert raw.status_code == 304


def test_an_empty_tile_is_204(server):
    r = requests.get(f"{server}/api/tiles/health/14/0/0.mvt", timeout=10)
    assert r.status_code == 204 and r.content == b"" and r.headers["ETag"]


@pytest.mark.parametrize(("path", "status"), [
    ("/api/tiles/health/23/0/0.mvt", 400),
    ("/api/tiles/health/3/8/0.mvt", 400),
    ("/api/tiles/health/3/0/-1.mvt", 400),
    ("/api/tiles/health/z/0/0.mvt", 400),
    ("/api/tiles/no_such_layer/3/0/0.mvt", 404),
    ("/api/tiles/health,no_such_layer/3/0/0.mvt", 404),
    ("/api/tiles/no_such_layer.json", 404),
    ("/api/tiles/health/v1-1/3/0/0.mvt", 400),
    ("/api/tiles/health/v999/3/0/0.mvt", 404),
])
def test_bad_tile_requests_get_a_bilingual_json_error(server, path, status):
    r = requests.get(f"{server}{path}", timeout=10)
    assert r.status_code == status and r.headers["Content-Type"] == "application/json"
    body = r.json()
    assert body["code"] and body["messages"]["vi"] and body["messages"]["en"]
    assert body["description"] == body["messages"]["vi"]


def test_the_tile_cache_is_shared_and_cleared_on_publish(fresh_db_url):
    app = create_app({"DATABASE_URL": fresh_db_url, "TESTING": True})
    conn = psycopg2.connect(fresh_db_url)
    with serving(app) as base:
        z, x, y = tile_of(106.70, 10.776, 14)
        first = requests.get(f"{base}/api/tiles/health/{z}/{x}/{y}.mvt", timeout=10)
        with conn.cursor() as c:
            version, _ = published_table(c, "health")
            c.execute("SELECT tile FROM mapserver.tile_cache WHERE layers = 'health' AND version = %s "
                      "AND z = %s AND x = %s AND y = %s", (str(version), z, x, y))
            assert bytes(c.fetchone()[0]) == first.content
            c.execute("UPDATE mapserver.tile_cache SET tile = 'cached' WHERE layers = 'health'")
        conn.commit()
        assert requests.get(f"{base}/api/tiles/health/{z}/{x}/{y}.mvt", timeout=10).content == b"cached"
        publish(conn, "health", version, actor="test")
        with conn.cursor() as c:
            c.execute("SELECT count(*) FROM mapserver.tile_cache WHERE 'health' = ANY (string_to_array(layers, ','))")
            assert c.fetchone()[0] == 0
        assert requests.get(f"{base}/api/tiles/health/{z}/{x}/{y}.mvt", timeout=10).content == first.content
    conn.close()


@pytest.mark.parametrize("z", [14, 16])  # clustered and plain
def test_a_point_on_a_tile_corner_is_in_the_four_tiles_around_it(fresh_db_url, catalog, tmp_path, z):
    _, x, y = tile_of(106.70, 10.776, z)
    corner = tile_lonlat(0, 0, z, x, y)
    beyond_buffer = tile_lonlat(-BUFFER - 8, EXTENT / 2, z, x, y)  # west of the tile, outside its buffer
    frame = gpd.GeoDataFrame({"id": ["corner", "west"], "name": ["Góc", "Tây"], "kind": ["clinic"] * 2},
                             geometry=shapely.points([corner, beyond_buffer]), crs="EPSG:4326")
    frame.to_file(tmp_path / "edge.geojson")
    conn = psycopg2.connect(fresh_db_url)
    try:
        load_file(conn, catalog["health"], tmp_path / "edge.geojson", LoadOptions(area=DEFAULTS["AREA_BBOX"]))
    finally:
        conn.close()
    found = {}
    with serving(create_app({"DATABASE_URL": fresh_db_url, "TESTING": True})) as base:
        for tx, ty in ((x - 1, y - 1), (x, y - 1), (x - 1, y), (x, y)):
            r = requests.get(f"{base}/api/tiles/health/{z}/{tx}/{ty}.mvt", timeout=10)
            found[tx, ty] = {f["properties"]["id"] for f in decode(r.content)["health"]["features"]}
    assert all("corner" in ids for ids in found.values()), found
    assert "west" in found[x - 1, y] and "west" not in found[x, y], found


def test_gdal_reads_a_tile_where_the_database_has_its_points(server, cur, busy_tiles, tmp_path):
    """GDAL's MVT driver (what QGIS and ogr2ogr use) is an independent decoder: same ids, same places."""
    z, x, y = busy_tiles[-1]
    path = tmp_path / "tile.mvt"
    path.write_bytes(requests.get(f"{server}/api/tiles/health/{z}/{x}/{y}.mvt", timeout=10).content)
    frame = pyogrio.read_dataframe(path, layer="health", X=x, Y=y, Z=z, CLIP="NO")  # keep the buffer
    assert frame.crs.to_epsg() == 3857
    _, table = published_table(cur, "health")
    cur.execute(f"SELECT id, ST_X(geom_3857), ST_Y(geom_3857) FROM layer_data.{table} "
                "WHERE geom_3857 && ST_TileEnvelope(%s, %s, %s, margin => %s)", (z, x, y, BUFFER / EXTENT))
    expected = {row[0]: row[1:] for row in cur.fetchall()}
    assert sorted(frame["id"]) == sorted(expected)
    pixel = WORLD / 2 ** z / EXTENT
    for fid, point in zip(frame["id"], frame.geometry, strict=True):
        assert abs(point.x - expected[fid][0]) <= pixel and abs(point.y - expected[fid][1]) <= pixel


def test_the_tile_statement_uses_the_spatial_index(app, cur):
    with app.app_context():
        tiles = app.extensions["mapserver.tiles"]["health"]
        _, table = published_table(cur, "health")
        cur.execute("SET LOCAL enable_seqscan = off")  # the demo table is small enough for a seq scan
        for z in (12, 16):
            statement = tiles.statement(cur, table, z)
            cur.execute(psycopg2.sql.SQL("EXPLAIN SELECT {}").format(statement), {"z": z, "x": 0, "y": 0})
            plan = "\n".join(row[0] for row in cur.fetchall())
            assert f"{table}_geom" in plan, plan  # the lon/lat GiST index: there is none on geom_3857
