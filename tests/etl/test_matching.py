"""Columns and category values matched as agencies write them, enforced, and mapped explicitly when needed."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from common.settings import DEFAULTS
from etl.errors import LoadRefused
from etl.matching import match_columns, value_matchers
from etl.pipeline import LoadOptions, load_file
from tests.etl.conftest import published, rows_of

AREA = DEFAULTS["AREA_BBOX"]
MAPSERVER = str(Path(sys.executable).with_name("mapserver"))


def _sheet(path: Path, header: list[str], rows: list[list]) -> Path:
    """A CSV as a clerk's spreadsheet exports it: her headers, her words, points in Ho Chi Minh City."""
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        for i, row in enumerate(rows):
            writer.writerow([*row, f"{106.66 + i * 0.001:.5f}", f"{10.77 + i * 0.001:.5f}"])
    return path


def _options(**kw) -> LoadOptions:
    return LoadOptions(area=AREA, normalise_addresses=False, **kw)


def test_vietnamese_headers_and_kinds_as_people_write_them_load_as_codes(db, catalog, tmp_path):
    kinds = ["Điểm tiêm chủng", "Bệnh viện", "nhà thuốc", "Tram y te", "DIEM TIEM CHUNG", "Tiêm chủng", "Phòng khám"]
    path = _sheet(tmp_path / "yte.csv", ["Tên", "Loại", "Địa chỉ", "Kinh độ", "Vĩ độ"],
                  [[f"Cơ sở {i}", kind, f"{i} Lê Lợi"] for i, kind in enumerate(kinds)])
    report = load_file(db, catalog["health"], path, _options())
    assert report.rows_rejected == 0 and report.rows_loaded == len(kinds)
    assert report.columns == {"name": "Tên", "kind": "Loại", "address": "Địa chỉ"}
    loaded = [kind for _, kind in rows_of(db, "health", "name, kind")]
    assert loaded == ["vaccination", "hospital", "pharmacy", "commune_health_station", "vaccination",
                      "vaccination", "clinic"]


def test_aliases_of_the_definition_match_columns(db, catalog, tmp_path):
    path = _sheet(tmp_path / "yte.csv", ["ten_co_so", "Loại hình", "Số nhà, đường", "SĐT", "Phường/xã", "Kinh độ",
                                         "Vĩ độ"], [["Trạm Y tế Bến Nghé", "TYT", "1 Lê Lợi", "028 3822", "Bến Nghé"]])
    report = load_file(db, catalog["health"], path, _options())
    assert report.columns == {"name": "ten_co_so", "kind": "Loại hình", "address": "Số nhà, đường", "phone": "SĐT",
                              "ward": "Phường/xã"}
    assert rows_of(db, "health", "kind, phone, ward") == [("commune_health_station", "028 3822", "Bến Nghé")]


def test_a_value_outside_the_list_rejects_its_rows_grouped_with_the_allowed_labels(db, catalog, tmp_path):
    rows = [["A", "Bệnh viện"], ["B", "Cơ sở thẩm mỹ"], ["C", "Nhà thuốc"], ["D", "Cơ sở thẩm mỹ"],
            ["E", "Cơ sở thẩm mỹ"], ["F", "spa"]]
    path = _sheet(tmp_path / "yte.csv", ["Tên", "Loại", "Kinh độ", "Vĩ độ"], rows)
    report = load_file(db, catalog["health"], path, _options())
    assert report.rows_loaded == 2 and report.rows_rejected == 4 and report.rejected_by_reason == {"not_a_category": 4}
    groups = {g.reason: g for g in report.rejection_groups}
    beauty = next(g for g in report.rejection_groups if "Cơ sở thẩm mỹ" in g.reason)
    assert beauty.count == 3 and beauty.first_rows == [2, 4, 5] and beauty.field == "kind"
    assert "Vaccination point (vaccination)" in beauty.reason and "Điểm tiêm chủng (vaccination)" in beauty.reason_vi
    assert "Health facilities" in beauty.reason and "Cơ sở y tế" in beauty.reason_vi
    assert len(groups) == 2
    assert {r.value for r in report.rejections} == {"Cơ sở thẩm mỹ", "spa"}
    assert {kind for _, kind in rows_of(db, "health", "name, kind")} <= set(catalog["health"].field("kind").values)


def test_explicit_field_and_value_mapping(db, catalog, tmp_path):
    path = _sheet(tmp_path / "yte.csv", ["Đơn vị", "Nhóm cơ sở", "Kinh độ", "Vĩ độ"],
                  [["A", "Tiêm chủng dịch vụ cao cấp"], ["B", "Bệnh viện"]])
    with pytest.raises(LoadRefused) as refused:
        load_file(db, catalog["health"], path, _options())
    assert "name (Name), kind (Kind)" in refused.value.en and "Đơn vị, Nhóm cơ sở" in refused.value.en
    assert "--field name=" in refused.value.en and "thiếu cột bắt buộc" in refused.value.vi
    report = load_file(db, catalog["health"], path, _options(
        fields={"name": "Đơn vị", "kind": "nhom co so"},
        values={"kind": {"Tiêm chủng dịch vụ cao cấp": "Điểm tiêm chủng"}}))
    assert report.rows_rejected == 0
    assert rows_of(db, "health", "name, kind") == [("A", "vaccination"), ("B", "hospital")]


@pytest.mark.parametrize(("fields", "values", "says"), [
    ({"name": "Không có"}, {}, "does not have"),
    ({"tên": "Tên"}, {}, "unknown field"),
    ({}, {"kind": {"X": "spa"}}, "not a kind"),
    ({}, {"name": {"X": "Y"}}, "no list of values"),
])
def test_a_wrong_mapping_is_refused_and_nothing_changes(db, catalog, tmp_path, fields, values, says):
    path = _sheet(tmp_path / "yte.csv", ["Tên", "Loại", "Kinh độ", "Vĩ độ"], [["A", "Bệnh viện"]])
    before = published(db, "health")
    with pytest.raises(LoadRefused) as refused:
        load_file(db, catalog["health"], path, _options(fields=fields, values=values))
    assert says in refused.value.en and refused.value.vi
    assert published(db, "health") == before


def test_match_prefers_the_field_name_then_titles_then_aliases(catalog):
    layer = catalog["health"]
    match = match_columns(layer, ["Tên cơ sở", "NAME", "Tên", "Ghi chú", "Kinh độ"], ignore=["kinh do"])
    assert match.columns["name"] == "NAME" and match.how["name"] == "name"
    assert match.unmatched_columns == ["Tên cơ sở", "Tên", "Ghi chú"]
    assert "kind" in match.missing and match.missing_required(layer) == ["kind"]
    matcher = value_matchers(layer)["kind"]
    assert [matcher.code(v) for v in ("Vaccination", "điểm  tiêm.chủng", "BV", "khác")] == \
        ["vaccination", "vaccination", "hospital", None]


def test_cli_field_and_value_options(fresh_db_url, tmp_path):
    path = _sheet(tmp_path / "yte.csv", ["Tên đơn vị", "Phân nhóm", "Kinh độ", "Vĩ độ"],
                  [["A", "Tiêm chủng dịch vụ"], ["B", "Spa"]])
    report_file = tmp_path / "report.json"
    env = {**os.environ, "DATABASE_URL": fresh_db_url}
    result = subprocess.run([MAPSERVER, "etl", "load", str(path), "--layer", "health", "--field", "name=Tên đơn vị",
                             "--field", "kind=Phân nhóm", "--value", "kind:Tiêm chủng dịch vụ=vaccination",
                             "--no-address-normalisation", "--report", str(report_file)],
                            env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "1 row(s) (2): kind: 'Spa' is not a kind of Health facilities" in result.stdout
    assert "1 dòng: 'Spa' không phải là loại của Cơ sở y tế" in result.stdout
    report = json.loads(report_file.read_text(encoding="utf-8"))
    assert report["rows_loaded"] == 1 and report["columns"] == {"name": "Tên đơn vị", "kind": "Phân nhóm"}
    bad = subprocess.run([MAPSERVER, "etl", "load", str(path), "--layer", "health", "--value", "kind=vaccination"],
                         env=env, capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and "FIELD:VALUE=CODE" in bad.stderr
