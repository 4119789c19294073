"""Address normalisation in the ETL: old-form addresses converted to the 2025 wards, unreadable ones reported."""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import psycopg2
import pytest
import shapely

from common.settings import DEFAULTS
from etl.address import _GEOD, _centroids, _check_distance, _lookup_keys, resolve
from etl.pipeline import LoadOptions, load_file
from etl.report import LoadReport
from tests.test_cli import _run

# Real hospitals with their pre-2025 addresses in the demo files, and the 2025 ward each now lies in
# (Resolution 1685/NQ-UBTVQH15 on Ho Chi Minh City's wards).
KNOWN = {
    "Bệnh viện Nhi Đồng 2": "Phường Sài Gòn",                 # Phường Bến Nghé, Quận 1
    "Bệnh viện Đa khoa Sài Gòn": "Phường Bến Thành",          # Phường Bến Thành, Quận 1
    "Bệnh viện Từ Dũ": "Phường Bến Thành",                    # Phường Phạm Ngũ Lão, Quận 1
    "Bệnh viện Mắt TP.HCM": "Phường Xuân Hòa",                # Phường Võ Thị Sáu, Quận 3
    "Bệnh viện Chợ Rẫy": "Phường Chợ Lớn",                    # Phường 12, Quận 5
    "Bệnh viện Nhân dân Gia Định": "Phường Gia Định",         # Phường 7, Quận Bình Thạnh
}


def test_old_form_addresses_in_the_demo_get_the_expected_2025_ward_codes(conn):
    with conn.cursor() as cur:
        cur.execute("SELECT h.name, h.address, h.district, h.ward, h.ward_code, w.name, h.province "
                    "FROM layer_data.health_v1 h LEFT JOIN layer_data.wards_v1 w ON w.code = h.ward_code "
                    "WHERE h.name = ANY(%s)", (list(KNOWN),))
        rows = {r[0]: r[1:] for r in cur.fetchall()}
    assert set(rows) == set(KNOWN)
    for name, (address, district, ward, code, ward_by_code, province) in rows.items():
        assert district and f", {district}, " in address            # still written in the old form
        assert ward == ward_by_code == KNOWN[name], (name, address, ward)
        assert code and province == "Thành phố Hồ Chí Minh"


@pytest.mark.parametrize("slug", ["health", "education", "bus_stops"])
def test_every_demo_address_is_normalised_and_the_old_form_ones_converted(conn, demo_reports, slug):
    report = demo_reports[slug]
    assert report.addresses_unparsed == 0, report.address_issues[:3]
    assert report.addresses_normalised == report.rows_loaded
    assert 0.1 * report.rows_loaded < report.addresses_converted < 0.35 * report.rows_loaded
    assert len(report.warnings) < 0.05 * report.rows_loaded, report.warnings[:3]
    with conn.cursor() as cur:
        cur.execute(f"SELECT count(*) FROM layer_data.{slug}_v1 t LEFT JOIN layer_data.wards_v1 w "
                    "ON w.code = t.ward_code AND w.name = t.ward WHERE w.code IS NULL")
        assert cur.fetchone()[0] == 0                            # every ward and code is a real 2025 ward


def test_features_are_found_by_their_ward_with_or_without_diacritics(conn):
    with conn.cursor() as cur:
        for query in ("phường bến thành", "ben thanh"):
            cur.execute("SELECT count(*), count(*) FILTER (WHERE ward = 'Phường Bến Thành') FROM layer_data.health_v1 "
                        "WHERE search_text LIKE '%%' || mapserver.fold(%s) || '%%'", (query,))
            found, in_ward = cur.fetchone()
            assert found >= 1 and in_ward >= 1, query


@pytest.fixture
def awkward_file(tmp_path):
    """Health rows as a clerk might send them: both forms, an unreadable address, a made-up ward, a far point."""
    rows = [
        ("A1", "12 Lê Lợi, Phường Sài Gòn, Thành phố Hồ Chí Minh", (106.7009, 10.7752)),
        ("A2", "5 Pasteur, P. Bến Nghé, Q.1, TP.HCM", (106.7015, 10.7790)),
        ("A3", "gần chợ", (106.70, 10.78)),
        ("A4", "3 Lê Lợi, Phường Không Có Thật, Thành phố Hồ Chí Minh", (106.70, 10.78)),
        ("A5", "9 Yersin, Phường Vũng Tàu, Thành phố Hồ Chí Minh", (106.70, 10.78)),     # point in Saigon, 60 km off
        ("A6", None, (106.70, 10.78)),
    ]
    frame = gpd.GeoDataFrame({"id": [r[0] for r in rows], "name": [f"Phòng khám {r[0]}" for r in rows],
                              "kind": "clinic", "address": [r[1] for r in rows]},
                             geometry=[shapely.Point(r[2]) for r in rows], crs="EPSG:4326")
    path = tmp_path / "clinics.geojson"
    frame.to_file(path, driver="GeoJSON", engine="pyogrio")
    return path


@pytest.mark.parametrize("address", [
    "12 Lê Lợi, Phường Sài Gòn, Thành phố Hồ Chí Minh", "5 Pasteur, P. Bến Nghé, Q.1, TP.HCM", "gần chợ", "",
    " , , ", "a,b", "x, P. Bến Nghé,\u00a0Q.1 ,  TP.HCM  ", ", ,Phường Sài Gòn,, ,TP HCM,",
    "số 1,,, Xã Bình Chánh , TP.HCM", "\u3000Q.1\u3000,\u3000TP.HCM", "Phường 12, Quận 5, TP.HCM", "1,2,3,4,5,6"])
def test_an_address_is_looked_up_by_the_tail_resolve_reads(address):
    key = _lookup_keys(pd.Series([address], dtype="str"))[0].as_py()
    assert resolve(key) == resolve(address)


def test_addresses_in_one_ward_share_one_lookup():
    keys = _lookup_keys(pd.Series(["12 Lê Lợi, Phường Sài Gòn, TP HCM", "5 Pasteur,Phường Sài Gòn , TP HCM", None,
                                   "1 Hai Bà Trưng, P. Bến Nghé, Q.1, TP.HCM", "9 Đồng Khởi, P. Bến Nghé, Q.1, TP.HCM"],
                                  dtype="str")).to_pylist()
    assert keys[0] == keys[1] and keys[2] is None and keys[3] == keys[4] != keys[0]


def _load(fresh_db_url, catalog, path, **options):
    conn = psycopg2.connect(fresh_db_url)
    try:
        report = load_file(conn, catalog["health"], path, LoadOptions(area=DEFAULTS["AREA_BBOX"], **options))
        with conn.cursor() as cur:
            cur.execute(f"SELECT id, ward, ward_code, province, address FROM layer_data.health_v{report.version} "
                        "ORDER BY id")
            return report, {r[0]: r[1:] for r in cur.fetchall()}
    finally:
        conn.close()


def test_unreadable_addresses_are_loaded_as_they_are_and_reported(fresh_db_url, catalog, awkward_file):
    report, rows = _load(fresh_db_url, catalog, awkward_file)
    assert report.rows_loaded == 6 and report.rows_rejected == 0
    assert rows["A1"][:3] == ("Phường Sài Gòn", "26740", "Thành phố Hồ Chí Minh")
    assert rows["A2"][:2] == ("Phường Sài Gòn", "26740") and rows["A2"][3] == "5 Pasteur, P. Bến Nghé, Q.1, TP.HCM"
    assert report.addresses_normalised == 3 and report.addresses_converted == 1
    assert [(i.row, i.address) for i in report.address_issues] == [
        (3, "gần chợ"), (4, "3 Lê Lợi, Phường Không Có Thật, Thành phố Hồ Chí Minh")]
    assert all(i.reason for i in report.address_issues) and report.addresses_unparsed == 2
    assert rows["A3"] == (None, None, None, "gần chợ")                      # never silently changed
    assert rows["A6"] == (None, None, None, None)
    assert len(report.warnings) == 1 and report.warnings[0].startswith("row 5:") and "Phường Vũng Tàu" in \
        report.warnings[0]
    assert json.loads(json.dumps(report.to_dict()))["address_issues"][0]["row"] == 3


def test_no_address_normalisation_leaves_the_ward_fields_as_the_file_has_them(fresh_db_url, catalog, awkward_file):
    report, rows = _load(fresh_db_url, catalog, awkward_file, normalise_addresses=False)
    assert report.rows_loaded == 6 and report.addresses_normalised == report.addresses_unparsed == 0
    assert not report.warnings and all(r[:3] == (None, None, None) for r in rows.values())


def test_the_cli_reports_unread_addresses_and_can_skip_the_step(fresh_db_url, awkward_file, tmp_path):
    out = _run(fresh_db_url, "etl", "load", str(awkward_file), "--layer", "health").stdout
    assert "3 normalised (1 from the old form), 2 not understood" in out
    assert "row 3: address not understood, loaded as is: 'gần chợ'" in out
    report_file = tmp_path / "report.json"
    _run(fresh_db_url, "etl", "load", str(awkward_file), "--layer", "health", "--no-address-normalisation",
         "--report", str(report_file))
    report = json.loads(report_file.read_text(encoding="utf-8"))
    assert report["rows_loaded"] == 6 and report["addresses_normalised"] == 0 and report["address_issues"] == []


def test_wards_load_takes_other_provinces_and_skips_an_unchanged_file(fresh_db_url, tmp_path):
    args = ("wards", "load", "--provinces", "80", "--dir", str(tmp_path))
    assert "wards <- wards.geojson: read 96, loaded 96" in _run(fresh_db_url, *args).stdout
    assert "already published, skipped" in _run(fresh_db_url, *args).stdout
    assert _run(fresh_db_url, "wards", "load", "--provinces", "7x", check=False).returncode != 0


@pytest.mark.parametrize("bearing", [0.0, 45.0, 90.0, 200.0])
def test_points_just_past_their_wards_limit_are_warned_about_and_those_just_inside_are_not(bearing):
    """The flat screen before the ellipsoid must not drop a point 1 % past the limit, in any direction."""
    outcome = resolve("1 Lê Lợi, Phường Sài Gòn, Thành phố Hồ Chí Minh")
    ward = _centroids().loc[outcome.ward_code]
    limit = 3.0 * (ward["area_km2"] / 3.141592653589793) ** 0.5 * 1000
    shares = [0.5, 0.97, 0.99, 1.01, 1.03, 2.0]
    lon, lat, _ = _GEOD.fwd([ward["lon"]] * len(shares), [ward["lat"]] * len(shares), [bearing] * len(shares),
                            [limit * s for s in shares])
    report = LoadReport(layer="health", source="test")
    _check_distance(shapely.points(lon, lat), [outcome], [0] * len(shares), list(range(len(shares))), report, 3.0)
    assert [w.split(":")[0] for w in report.warnings] == ["row 3", "row 4", "row 5"]
    assert all(outcome.ward in w for w in report.warnings)
