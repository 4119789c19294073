"""The 2025 administrative units from vietnamadminunits, and the `wards` reference layer loaded through the ETL."""

from __future__ import annotations

import pyogrio
import pytest

from etl.admin_units import province_codes, wards
from etl.cli import DEMO_FILES
from mapserver.web.catalog import published
from tests.test_cli import _run


def test_the_country_has_3321_wards_and_34_provinces():
    frame = wards()
    assert len(frame) == 3321 and frame["code"].is_unique
    assert frame["province_code"].nunique() == 34
    assert set(frame["kind"]) == {"ward", "commune", "special_zone"}
    assert frame["lon"].between(102, 115).all() and frame["lat"].between(8, 24).all()


def test_ho_chi_minh_city_has_168_wards_including_the_former_provinces():
    frame = wards(["79"])
    assert len(frame) == 168
    assert {"Phường Sài Gòn", "Phường Bến Thành", "Phường Thủ Dầu Một", "Phường Vũng Tàu",
            "Đặc khu Côn Đảo"} <= set(frame["name"])


def test_province_codes_are_checked():
    assert province_codes("79, 1") == ["79", "01"] and province_codes("all") is None
    with pytest.raises(ValueError):
        province_codes(["79; DROP TABLE x"])


def test_the_wards_layer_is_published_with_every_ward_of_the_city(conn, wards_file, demo_reports):
    report = demo_reports["wards"]
    assert report.rows_read == pyogrio.read_info(wards_file)["features"] == 168
    assert report.rows_rejected == 0 and report.published
    with conn.cursor() as cur:
        table = published(cur, "wards").table_name
        cur.execute(f"SELECT count(*), count(DISTINCT code), min(province_code), max(province_code), "
                    f"sum(area_km2) FROM layer_data.{table}")
        count, codes, low, high, area = cur.fetchone()
        cur.execute(f"SELECT name, kind FROM layer_data.{table} WHERE search_text LIKE '%%ben thanh%%'")
        found = cur.fetchall()
    assert (count, codes, low, high) == (168, 168, "79", "79")
    assert 6000 < area < 7500        # the new Ho Chi Minh City covers about 6,770 km²
    assert ("Phường Bến Thành", "ward") in found


def test_demo_load_sets_up_the_wards_too_and_skips_what_is_already_published(fresh_db_url, tmp_path):
    out = _run(fresh_db_url, "demo", "load", "--dir", str(tmp_path)).stdout
    assert "wards: wards.geojson already published, skipped" in out         # same provinces, same bytes
    for slug, name in DEMO_FILES.items():                                  # the seed gives the same files
        assert f"{slug}: {name} already published, skipped" in out
    assert (tmp_path / "wards.geojson").exists()
