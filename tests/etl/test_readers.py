"""Readers on files the tests write: CSV column names, KMZ, shapefile zips with .prj, GeoPackage layers, GTFS
without shapes, near-duplicates, dry runs."""

from __future__ import annotations

import zipfile

import geopandas as gpd
import pyproj
import pytest
import shapely

from common.settings import DEFAULTS
from etl import crs
from etl.errors import LoadRefused
from etl.pipeline import LoadOptions, load_file
from etl.read import fold_name, open_source
from etl.vn2000 import with_official_shift
from tests.etl.conftest import PLACES, published, rows_of

AREA = DEFAULTS["AREA_BBOX"]


def _health(n: int = 3, start: float = 106.70) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"id": [f"h{i}" for i in range(n)], "name": [f"Trạm y tế {i}" for i in range(n)],
                             "kind": ["clinic"] * n},
                            geometry=shapely.points([start + i * 0.01 for i in range(n)], [10.78] * n),
                            crs="EPSG:4326")


@pytest.mark.parametrize(("x", "y"), [("lon", "lat"), ("LNG", "LAT"), ("Kinh độ", "Vĩ độ"), ("kinh_do", "vi_do"),
                                      ("KINH DO", "VI DO"), ("X", "Y"), ("longitude", "latitude")])
def test_csv_coordinate_column_names(tmp_path, x, y):
    path = tmp_path / "f.csv"
    path.write_text(f"id,{y},{x}\n1,10.8,106.7\n", encoding="utf-8")
    with open_source(path) as (info, _batches):
        assert info.coordinate_columns == (x, y)


def test_folding_names():
    assert fold_name("Kinh độ") == fold_name("KINH_DO") == fold_name(" kinh-do ") == "kinh_do"
    assert fold_name("Đường") == "duong"


def test_kmz_loads(db, catalog, tmp_path):
    kml = tmp_path / "doc.kml"
    _health().rename(columns={"name": "Name"}).to_file(kml, driver="KML")
    path = tmp_path / "health.kmz"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.write(kml, "doc.kml")
    report = load_file(db, catalog["health"], path, LoadOptions(area=AREA))  # fields from ExtendedData
    assert report.rows_loaded == 3
    assert rows_of(db, "health", "name, kind") == [(f"Trạm y tế {i}", "clinic") for i in range(3)]


def test_zipped_shapefile_in_vn2000_with_prj(db, catalog, tmp_path):
    zone = crs.resolve("EPSG:3405", "f")
    official = pyproj.Transformer.from_crs(crs.WGS84, with_official_shift(zone), always_xy=True)
    frame = _health()
    frame = frame.set_geometry(shapely.transform(frame.geometry.to_numpy(), official.transform, interleaved=False),
                               crs=zone)
    folder = tmp_path / "shp"
    folder.mkdir()
    frame.to_file(folder / "tram_y_te.shp", encoding="UTF-8")
    path = tmp_path / "tram_y_te.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for part in folder.iterdir():
            zf.write(part, f"export/{part.name}")
    report = load_file(db, catalog["health"], path, LoadOptions(area=AREA))
    assert report.crs_in == "EPSG:3405" and report.rows_loaded == 3
    lons = [round(x, 5) for (x,) in rows_of(db, "health", "ST_X(geom)")]
    assert lons == [106.70, 106.71, 106.72]


def test_geopackage_with_several_layers_lists_them_and_loads_the_chosen_one(db, catalog, tmp_path):
    path = tmp_path / "so_y_te.gpkg"
    _health().to_file(path, layer="benh_vien")
    _health(2).to_file(path, layer="phong_kham")
    with pytest.raises(LoadRefused) as info:
        load_file(db, catalog["health"], path, LoadOptions(area=AREA))
    assert "benh_vien" in info.value.en and "phong_kham" in info.value.en and "--source-layer" in info.value.en
    report = load_file(db, catalog["health"], path, LoadOptions(area=AREA, source_layer="phong_kham"))
    assert report.rows_loaded == 2 and report.source_layers == ["phong_kham"]


def test_near_duplicates_are_reported_not_rejected(db, catalog, tmp_path):
    frame = _health(4)
    frame.loc[3, "name"] = frame.loc[0, "name"].upper()  # names compare ignoring case
    frame.loc[3, "geometry"] = shapely.Point(106.70002, 10.78001)  # ~2.5 m from row 1
    frame.loc[2, "name"] = frame.loc[1, "name"]  # same name, but 1 km away
    path = tmp_path / "health.geojson"
    frame.to_file(path)
    report = load_file(db, catalog["health"], path, LoadOptions(area=AREA))
    assert report.rows_loaded == 4 and report.near_duplicates == 1
    pair = report.near_duplicate_pairs[0]
    assert (pair.row, pair.other_row, pair.name) == (1, 4, "Trạm y tế 0") and 1 < pair.metres < 4


def test_repairs_are_counted(db, tmp_path):
    bowtie = shapely.Polygon([(106.70, 10.70), (106.72, 10.72), (106.72, 10.70), (106.70, 10.72)])
    square = shapely.box(106.80, 10.80, 106.81, 10.81)
    frame = gpd.GeoDataFrame({"id": ["a", "b"], "name": ["Công viên 1", "Công viên 2"]}, geometry=[bowtie, square],
                             crs="EPSG:4326")
    path = tmp_path / "parks.geojson"
    frame.to_file(path)
    report = load_file(db, PLACES, path, LoadOptions(area=AREA))
    assert report.rows_loaded == 2 and report.rows_repaired == 1
    assert rows_of(db, "places", "id, ST_IsValid(geom), ST_NumGeometries(geom)") == [("a", True, 2), ("b", True, 1)]


def test_z_dropped_and_lines_unified_to_multilines(db, catalog, tmp_path):
    frame = gpd.GeoDataFrame({"id": ["r1", "r2"], "name": ["Tuyến 1", "Tuyến 2"], "kind": ["bus_route"] * 2},
                             geometry=[shapely.LineString([(106.7, 10.7, 5), (106.8, 10.8, 6)]),
                                       shapely.MultiLineString([[(106.7, 10.7), (106.75, 10.8)]])],
                             crs="EPSG:4326")
    path = tmp_path / "transport.geojson"
    frame.to_file(path)
    report = load_file(db, catalog["transport"], path, LoadOptions(area=AREA))
    assert report.rows_loaded == 2
    assert rows_of(db, "transport", "DISTINCT ST_NDims(geom), GeometryType(geom)", order_by="1") == [
        (2, "MULTILINESTRING")]


def test_gtfs_without_shapes_uses_stop_sequences(db, catalog, tmp_path):
    files = {
        "agency.txt": "agency_name,agency_url,agency_timezone\nSaigonBus,http://x,Asia/Ho_Chi_Minh\n",
        "routes.txt": "route_id,route_short_name,route_long_name,route_type\nR1,01,Bến Thành - Chợ Lớn,3\n"
                      "M1,M1,Bến Thành - Suối Tiên,1\n",
        "trips.txt": "route_id,service_id,trip_id\nR1,S,t1\nR1,S,t2\nM1,S,t3\n",
        "stops.txt": "stop_id,stop_name,stop_lat,stop_lon\nA,Bến Thành,10.7725,106.6980\n"
                     "B,Chợ Lớn,10.7500,106.6500\nC,Suối Tiên,10.8660,106.8030\n",
        "stop_times.txt": "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"
                          "t1,06:00:00,06:00:00,A,1\nt1,06:20:00,06:20:00,B,2\n"
                          "t2,25:00:00,25:00:00,B,1\nt2,25:20:00,25:20:00,A,2\n"
                          "t3,06:00:00,06:00:00,A,1\nt3,06:30:00,06:30:00,C,2\n",
    }
    path = tmp_path / "saigon_gtfs.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for name, text in files.items():
            zf.writestr(name, text.replace("\n", "\r\n"))
    report = load_file(db, catalog["transport"], path, LoadOptions(area=AREA))
    assert report.rows_loaded == 2
    rows = rows_of(db, "transport", "id, kind, route_number, operator, ST_NumGeometries(geom)")
    assert rows == [("R1", "bus_route", "01", "SaigonBus", 1), ("M1", "metro_line", "M1", "SaigonBus", 1)]
    load_file(db, catalog["bus_stops"], path, LoadOptions(area=AREA))
    assert dict(rows_of(db, "bus_stops", "id, routes")) == {"A": ["01", "M1"], "B": ["01"], "C": ["M1"]}


def test_gtfs_into_a_layer_it_cannot_fill_is_refused(db, catalog):
    from tests.etl.conftest import real

    with pytest.raises(LoadRefused) as info:
        load_file(db, catalog["health"], real("gtfs-cairns", "cairns_gtfs.zip"),
                  LoadOptions(area=(145.6, -17.2, 145.9, -16.7)))
    assert "GTFS" in info.value.en


def test_dry_run_validates_and_reports_without_loading(db, catalog, tmp_path):
    path = tmp_path / "health.geojson"
    _health().to_file(path)
    before = published(db, "health")
    report = load_file(db, catalog["health"], path, LoadOptions(area=AREA, dry_run=True))
    assert report.rows_loaded == 3 and report.version is None and report.dry_run
    assert published(db, "health") == before


def test_report_names_crs_bbox_and_time(db, catalog, tmp_path):
    path = tmp_path / "health.geojson"
    _health().to_crs(pyproj.CRS.from_epsg(3405)).to_file(path)
    report = load_file(db, catalog["health"], path, LoadOptions(area=AREA)).to_dict()
    assert report["crs_in"] == "EPSG:3405" and report["crs_out"] == "EPSG:4326"
    assert report["bbox"][0] == pytest.approx(106.70) and report["seconds"] > 0 and report["started_at"]
