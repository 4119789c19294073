"""The rejected rows come back as a CSV the clerk can fix and send again."""

from __future__ import annotations

import csv

import pytest

from etl.errors import LoadRefused
from etl.pipeline import LoadOptions, load_file
from etl.rejected import REASON_COLUMNS
from tests.etl.test_matching import AREA, _sheet


def test_every_rejected_row_is_written_with_its_columns_and_reason(db, catalog, tmp_path):
    rows = [["A", "Bệnh viện", "1 Lê Lợi"], ["", "Bệnh viện", "2 Lê Lợi"], ["C", "Cơ sở thẩm mỹ", "3 Lê Lợi"],
            ["D", "Nhà thuốc", "4 Lê Lợi"]]
    source = _sheet(tmp_path / "yte.csv", ["Tên", "Loại", "Địa chỉ", "Kinh độ", "Vĩ độ"], rows)
    out = tmp_path / "rejected.csv"
    report = load_file(db, catalog["health"], source, LoadOptions(area=AREA, normalise_addresses=False,
                                                                  rejected_rows=out, chunk_rows=2))
    assert report.rows_rejected == 2
    with open(out, encoding="utf-8-sig", newline="") as fh:
        written = list(csv.DictReader(fh))
    assert [r["Tên"] for r in written] == ["", "C"] and [r["Địa chỉ"] for r in written] == ["2 Lê Lợi", "3 Lê Lợi"]
    assert [r[REASON_COLUMNS[0]] for r in written] == ["2", "3"]
    assert written[0][REASON_COLUMNS[3]] == "thiếu giá trị bắt buộc"
    assert written[0]["Reason"] == "required value is empty"
    assert written[1][REASON_COLUMNS[2]] == "Cơ sở thẩm mỹ" and "not a kind" in written[1]["Reason"]


def test_the_fixed_file_loads_without_the_reason_columns(db, catalog, tmp_path):
    source = _sheet(tmp_path / "yte.csv", ["Tên", "Loại", "Kinh độ", "Vĩ độ"], [["A", "spa"], ["B", "spa"]])
    out = tmp_path / "rejected.csv"
    with pytest.raises(LoadRefused):  # every row rejected: the load is refused, and the file still written
        load_file(db, catalog["health"], source, LoadOptions(area=AREA, rejected_rows=out, normalise_addresses=False))
    fixed = tmp_path / "fixed.csv"
    text = out.read_text(encoding="utf-8-sig").replace(",spa,", ",Nhà thuốc,")
    fixed.write_text(text, encoding="utf-8")
    loaded = load_file(db, catalog["health"], fixed, LoadOptions(area=AREA, normalise_addresses=False))
    assert loaded.rows_loaded == 2 and loaded.rows_rejected == 0
    assert set(loaded.unmatched_columns) == set(REASON_COLUMNS)
