"""The readers on real public files (../shared/data/real), each with the deployment area set to fit it."""

from __future__ import annotations

import pytest

from etl.errors import LoadRefused
from etl.pipeline import LoadOptions, load_file
from tests.etl.conftest import PLACES, WORLD, places, published, real, rows_of

VIETNAM = (102.0, 8.0, 110.0, 23.5)
NYC = (-74.3, 40.45, -73.65, 40.95)
NORTH_CAROLINA = (-84.5, 33.8, -75.4, 36.7)
CAIRNS = (145.6, -17.2, 145.9, -16.7)


def test_vietnam_provinces_geojson(db):
    report = load_file(db, PLACES, real("vn-provinces-ne", "vnm.json"), LoadOptions(area=VIETNAM))
    assert report.rows_read == 64 and report.rows_loaded == 63
    assert [(r.row, r.field, r.reason) for r in report.rejections] == [(64, "name", "required value is empty")] or \
        [(r.field, r.reason) for r in report.rejections] == [("name", "required value is empty")]
    names = {name for _, name in rows_of(db, "places")}
    assert "Hồ Chí Minh city" in names and "Quảng Ninh" in names
    assert rows_of(db, "places", "DISTINCT GeometryType(geom)", order_by="1") == [("MULTIPOLYGON",)]


def test_vietnam_provinces_topojson_without_crs_and_with_duplicate_ids(db):
    report = load_file(db, PLACES, real("vn-provinces-ne", "vnm.topo.json"), LoadOptions(area=VIETNAM))
    assert report.crs_in.startswith("none")
    duplicates = [r for r in report.rejections if r.field == "id"]
    assert len(duplicates) == 13 and all("'VN.'" in r.reason for r in duplicates)
    assert report.rows_loaded == 64 - 13 - 1  # 13 repeated "VN." ids, 1 island without a name


def test_natural_earth_cities_shapefile_folder_latin1_cpg(db, tmp_path):
    folder = tmp_path / "cities"
    folder.mkdir()
    for part in real("ne-countries-cities-shp").glob("naturalearth_cities.*"):
        (folder / part.name).write_bytes(part.read_bytes())
    report = load_file(db, PLACES, folder, LoadOptions(area=WORLD))
    assert report.rows_loaded == 243 and report.encoding is None and report.crs_in == "EPSG:4326"
    names = {name for _, name in rows_of(db, "places")}
    assert {"São Paulo", "Reykjavík", "Hanoi"} <= names


def test_natural_earth_countries_shapefile_with_mixed_polygon_types(db):
    report = load_file(db, PLACES, real("ne-countries-cities-shp", "naturalearth_lowres.shp"),
                       LoadOptions(area=WORLD))
    assert report.rows_read == 177 and report.rows_loaded == 177
    assert ("Côte d'Ivoire",) in rows_of(db, "places", "name")


def test_projected_zipped_shapefile_in_us_feet(db):
    report = load_file(db, places("boroname"), real("nybb-shp-zip", "nybb_16a.zip"), LoadOptions(area=NYC))
    assert report.rows_loaded == 5 and report.crs_in == "EPSG:2263"
    assert {n for _, n in rows_of(db, "places", "id, boroname")} == {"Staten Island", "Queens", "Brooklyn",
                                                                   "Manhattan", "Bronx"}
    xmin, ymin, xmax, ymax = report.bbox
    assert -74.3 < xmin < -74.2 and 40.87 < ymax < 40.93


def test_geopackage_in_nad27_with_a_dotted_layer_name(db):
    report = load_file(db, PLACES, real("sf-gpkg", "nc.gpkg"), LoadOptions(area=NORTH_CAROLINA))
    assert report.rows_loaded == 100 and report.crs_in == "EPSG:4267" and report.source_layers == ["nc.gpkg"]


def test_geopackage_in_a_custom_transverse_mercator(db):
    path = real("sf-gpkg", "b_pump.gpkg")
    with pytest.raises(LoadRefused) as info:  # the pump has no name: the layer's required field is named
        load_file(db, PLACES, path, LoadOptions(area=WORLD))
    assert info.value.field == "name"


def test_custom_tm_reprojects_the_broad_street_pump(db, tmp_path):
    from etl import crs
    from etl.read import open_source

    with open_source(real("sf-gpkg", "b_pump.gpkg")) as (info, batches):
        source = crs.resolve(info.crs, "b_pump.gpkg")
        pump = crs.to_wgs84(next(batches).geometries, source)[0]
    assert source.to_epsg() is None
    assert abs(pump.x - -0.13671) < 1e-4 and abs(pump.y - 51.51330) < 1e-4


def test_kml_every_folder_read_z_dropped(db):
    report = load_file(db, PLACES, real("kml-samples", "example1.kml"), LoadOptions(area=WORLD))
    assert report.rows_read == 21 and len(report.source_layers) == 10
    assert report.rows_loaded >= 18
    assert rows_of(db, "places", "max(ST_NDims(geom))", order_by="1") == [(2,)]


def test_airports_csv_without_crs_is_refused_then_loads_with_crs(db):
    path = real("airports-csv", "airports.csv")
    with pytest.raises(LoadRefused) as info:
        load_file(db, PLACES, path, LoadOptions(area=VIETNAM))
    assert "--crs" in info.value.en
    report = load_file(db, PLACES, path, LoadOptions(area=(102.1, 8.4, 109.5, 23.4), crs="EPSG:4326"))
    assert report.rows_read == 28298
    names = {name for _, name in rows_of(db, "places")}
    assert "Tan Son Nhat International Airport" in names and "Noi Bai International Airport" in names


def test_gtfs_stops_with_their_route_numbers(db, catalog):
    before = published(db, "bus_stops")
    report = load_file(db, catalog["bus_stops"], real("gtfs-cairns", "cairns_gtfs.zip"), LoadOptions(area=CAIRNS))
    assert report.rows_read == 416 and report.rows_loaded == 416
    assert published(db, "bus_stops")[0] == before[0] + 1
    stops = dict(rows_of(db, "bus_stops", "id, routes"))
    assert stops["750000"] == ["110", "110N"]
    assert all(routes for routes in stops.values() if routes is not None)


def test_gtfs_routes_as_multilinestrings(db, catalog):
    report = load_file(db, catalog["transport"], real("gtfs-cairns", "cairns_gtfs.zip"), LoadOptions(area=CAIRNS))
    assert report.rows_loaded == 22
    kinds = rows_of(db, "transport", "DISTINCT kind, GeometryType(geom)", order_by="1")
    assert kinds == [("bus_route", "MULTILINESTRING")]
    lengths = [km for (km,) in rows_of(db, "transport", "ST_Length(geom::geography) / 1000")]
    assert min(lengths) > 1 and max(lengths) < 500
