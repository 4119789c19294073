"""Coordinates as sheets hold them: decimal commas, degrees-minutes-seconds, a few bad rows among good ones,
rows outside the area rejected one by one, and the same majority rule for other files without a CRS."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from common.settings import DEFAULTS
from etl.coordinates import parse_value
from etl.errors import LoadRefused
from etl.pipeline import LoadOptions, load_file
from tests.etl.conftest import rows_of

AREA = DEFAULTS["AREA_BBOX"]


def _options(**kw) -> LoadOptions:
    return LoadOptions(area=AREA, normalise_addresses=False, **kw)


def _csv(path: Path, header: list[str], rows: list[list], delimiter: str = ",") -> Path:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _good(n: int) -> list[list[str]]:
    return [[f"Nhà thuốc {i}", "Nhà thuốc", f"{106.60 + i / 10_000:.5f}", f"{10.70 + i / 10_000:.5f}"]
            for i in range(n)]


def _points(db) -> list[tuple[float, float]]:
    return rows_of(db, "health", "round(ST_X(geom)::numeric, 5)::float8, round(ST_Y(geom)::numeric, 5)::float8")


@pytest.mark.parametrize(("text", "value"), [
    ("10.7756", 10.7756), ("10,7756", 10.7756), (" 106,70 ", 106.70), ("-10,5", -10.5),
    ("10°46'32\"N", 10 + 46 / 60 + 32 / 3600), ("10° 46' 32\" N", 10 + 46 / 60 + 32 / 3600),
    ("106°42′01.5″E", 106 + 42 / 60 + 1.5 / 3600), ("N 10°46.5'", 10 + 46.5 / 60),
    ("10 46 32", 10 + 46 / 60 + 32 / 3600),
    ("10°46'32,5\"B", 10 + 46 / 60 + 32.5 / 3600), ("106º42'Đ", 106.7), ("33°52'S", -(33 + 52 / 60)),
    ("1.190.000,5", 1_190_000.5), ("1,190,000.5", 1_190_000.5),
])
def test_coordinates_are_read_as_people_write_them(text, value):
    assert math.isclose(parse_value(text), value, abs_tol=1e-9)


@pytest.mark.parametrize("text", ["10.77.56", "10°75'", "mười", "N10°E", "inf", "nan", "10°46'32\"N 5"])
def test_a_value_that_is_no_coordinate_is_not_guessed(text):
    assert parse_value(text) is None


def test_a_semicolon_csv_with_decimal_commas_as_vietnamese_excel_writes_it_loads(db, catalog, tmp_path):
    path = _csv(tmp_path / "nha_thuoc.csv", ["Tên", "Loại", "Địa chỉ", "Kinh độ", "Vĩ độ"],
                [["Nhà thuốc An Khang", "Nhà thuốc", "12 Nguyễn Huệ, Bến Nghé", "106,70312", "10,77456"],
                 ["Nhà thuốc Pharmacity", "Nhà thuốc", "3 Lê Lợi", "106,7", "10,7756"]], delimiter=";")
    report = load_file(db, catalog["health"], path, _options())
    assert report.rows_loaded == 2 and report.rows_rejected == 0
    assert report.columns == {"name": "Tên", "kind": "Loại", "address": "Địa chỉ"}  # "," inside a cell is no separator
    assert _points(db) == [(106.70312, 10.77456), (106.7, 10.7756)]


def test_degrees_minutes_seconds_are_read(db, catalog, tmp_path):
    path = _csv(tmp_path / "dms.csv", ["Tên", "Loại", "Kinh độ", "Vĩ độ"],
                [["Bệnh viện Chợ Rẫy", "BV", "106°39'35\"E", "10°45'28\"N"],
                 ["Trạm y tế Bến Nghé", "TYT", "106° 42′ 07″ Đ", "10° 46′ 37″ B"]])
    report = load_file(db, catalog["health"], path, _options())
    assert report.rows_loaded == 2 and not report.axes_swapped
    assert _points(db) == [(round(106 + 39 / 60 + 35 / 3600, 5), round(10 + 45 / 60 + 28 / 3600, 5)),
                           (round(106 + 42 / 60 + 7 / 3600, 5), round(10 + 46 / 60 + 37 / 3600, 5))]


def test_one_bad_row_among_hundreds_is_rejected_and_the_rest_loads(db, catalog, tmp_path):
    rows = _good(300)
    rows[41][3] = "10.77.56"  # a typo: row 42
    rows[122][2:] = ["105.8412", "21.0245"]  # Hanoi, outside the deployment area: row 123
    rows[200][2:] = ["686000", "1190000"]  # VN-2000 metres pasted into a lon/lat sheet: row 201
    path = _csv(tmp_path / "nha_thuoc.csv", ["name", "kind", "longitude", "latitude"], rows)
    report = load_file(db, catalog["health"], path, _options())
    assert report.rows_loaded == 297 and report.rows_rejected == 3 and not report.axes_swapped
    bad, hanoi, metres = report.rejections
    assert (bad.row, bad.field, bad.value, bad.code) == (42, "latitude", "10.77.56", "bad_coordinate")
    assert "10.77.56" in bad.reason and "10,7756" in bad.reason and "không đọc được tọa độ" in bad.reason_vi
    assert (hanoi.row, hanoi.code, hanoi.value) == (123, "outside_area", "POINT (105.8412 21.0245)")
    assert (metres.row, metres.code, metres.value) == (201, "outside_area", "POINT (686000 1190000)")


def test_a_last_chunk_of_bad_rows_does_not_refuse_a_file_whose_points_are_mostly_good(db, catalog, tmp_path):
    rows = [*_good(6), ["Nhà thuốc X", "Nhà thuốc", "686000", "1190000"]]
    path = _csv(tmp_path / "nha_thuoc.csv", ["Tên", "Loại", "Kinh độ", "Vĩ độ"], rows)
    report = load_file(db, catalog["health"], path, _options(chunk_rows=2))
    assert report.rows_loaded == 6 and [r.row for r in report.rejections] == [7]


def test_swapped_columns_with_a_bad_row_are_swapped_and_the_bad_row_rejected(db, catalog, tmp_path):
    rows = [[n, k, y, x] for n, k, x, y in _good(5)] + [["Nhà thuốc X", "Nhà thuốc", "abc", "106.7"]]
    path = _csv(tmp_path / "nha_thuoc.csv", ["Tên", "Loại", "Kinh độ", "Vĩ độ"], rows)
    report = load_file(db, catalog["health"], path, _options())
    assert report.axes_swapped and report.rows_loaded == 5
    assert _points(db)[0] == (106.6, 10.7) and report.rejections[0].row == 6


@pytest.mark.parametrize(("cells", "field", "code"), [
    (["", ""], "Kinh độ/Vĩ độ", "no_coordinates"),
    (["106.7", ""], "Vĩ độ", "coordinate_missing"),
    (["", "10.7"], "Kinh độ", "coordinate_missing"),
])
def test_a_row_without_coordinates_says_which_it_lacks(db, catalog, tmp_path, cells, field, code):
    path = _csv(tmp_path / "nha_thuoc.csv", ["Tên", "Loại", "Kinh độ", "Vĩ độ"],
                [*_good(2), ["Nhà thuốc X", "Nhà thuốc", *cells]])
    report = load_file(db, catalog["health"], path, _options())
    assert report.rows_loaded == 2
    rejection, = report.rejections
    assert (rejection.row, rejection.field, rejection.code) == (3, field, code) and rejection.reason_vi


def test_the_rejected_rows_file_keeps_the_coordinates_as_written(db, catalog, tmp_path):
    rows = [*_good(3), ["Nhà thuốc X", "Nhà thuốc", "106°42'", "10°46'32\"X"]]
    path = _csv(tmp_path / "nha_thuoc.csv", ["Tên", "Loại", "Kinh độ", "Vĩ độ"], rows, delimiter=";")
    out = tmp_path / "bi_loai.csv"
    load_file(db, catalog["health"], path, _options(rejected_rows=out))
    with open(out, encoding="utf-8-sig", newline="") as fh:
        written, = csv.DictReader(fh)
    assert written["Kinh độ"] == "106°42'" and written["Vĩ độ"] == "10°46'32\"X" and written["Tên"] == "Nhà thuốc X"


def test_a_file_mostly_outside_vietnam_is_still_refused(db, catalog, tmp_path):
    rows = [["A", "BV", "686000", "1190000"], ["B", "BV", "686100", "1190100"], ["C", "BV", "106.7", "10.7"]]
    path = _csv(tmp_path / "vn2000.csv", ["Tên", "Loại", "x", "y"], rows)
    with pytest.raises(LoadRefused) as info:
        load_file(db, catalog["health"], path, _options())
    assert "only 1 of its 3 points" in info.value.en and "--crs" in info.value.en and "--crs" in info.value.vi


def test_a_shapefile_without_prj_follows_the_same_majority_rule(db, catalog, tmp_path):
    points = [shapely.Point(106.60 + i / 1000, 10.70) for i in range(20)] + [shapely.Point(686000, 1190000)]
    frame = gpd.GeoDataFrame({"name": [f"Nhà thuốc {i}" for i in range(21)], "kind": ["pharmacy"] * 21},
                             geometry=points)
    frame.to_file(tmp_path / "nha_thuoc.shp", encoding="utf-8")
    report = load_file(db, catalog["health"], tmp_path / "nha_thuoc.shp", _options())
    assert report.rows_loaded == 20 and [(r.row, r.code) for r in report.rejections] == [(21, "outside_area")]


def test_a_geojson_is_lon_lat_by_definition_and_its_outside_rows_are_rejected(db, catalog, tmp_path):
    frame = gpd.GeoDataFrame({"name": ["A", "B", "C"], "kind": ["pharmacy"] * 3},
                             geometry=[shapely.Point(106.7, 10.77), shapely.Point(105.84, 21.02),
                                       shapely.Point(106.71, 10.78)], crs="EPSG:4326")
    frame.to_file(tmp_path / "nha_thuoc.geojson")
    report = load_file(db, catalog["health"], tmp_path / "nha_thuoc.geojson", _options())
    assert report.rows_loaded == 2 and [(r.row, r.code) for r in report.rejections] == [(2, "outside_area")]
