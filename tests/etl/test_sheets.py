"""Spreadsheets as agencies export them: titles and merged cells above the header, Vietnamese headers, the sheet
chosen by --source-layer, .xlsx and .ods, written here by openpyxl and odfpy (through pandas)."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from common.settings import DEFAULTS
from etl import sheets
from etl.errors import LoadRefused
from etl.pipeline import LoadOptions, load_file
from tests.etl.conftest import published, rows_of

AREA = DEFAULTS["AREA_BBOX"]
HEADER = ["Tên", "Loại", "Địa chỉ", "Kinh độ", "Vĩ độ"]
FACILITIES = [["Bệnh viện Chợ Rẫy", "Bệnh viện", "201B Nguyễn Chí Thanh", 106.6597, 10.7578],
              ["Trạm y tế Bến Nghé", "Trạm y tế", "1 Lê Lợi", 106.7019, 10.7769],
              ["Nhà thuốc Long Châu", "nhà thuốc", "2 Lê Lợi", 106.7021, 10.7771]]


def _options(**kw) -> LoadOptions:
    return LoadOptions(area=AREA, normalise_addresses=False, **kw)


def _titled_sheet(ws, header: list[str], rows: list[list]) -> None:
    """A Department of Health export: an agency line and a title merged across the table, a blank row."""
    ws.append(["SỞ Y TẾ THÀNH PHỐ HỒ CHÍ MINH"])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    ws.append(["DANH SÁCH CƠ SỞ Y TẾ (cập nhật 01/06/2025)"])
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=len(header))
    ws.append([])
    ws.append(header)
    for row in rows:
        ws.append(row)


def _xlsx(path: Path, header: list[str] = HEADER, rows: list[list] = FACILITIES) -> Path:
    workbook = openpyxl.Workbook()
    workbook.active.title = "Danh sách"
    _titled_sheet(workbook.active, header, rows)
    workbook.save(path)
    return path


def test_an_xlsx_with_titles_merged_cells_and_a_blank_row_above_its_header_loads(db, catalog, tmp_path):
    report = load_file(db, catalog["health"], _xlsx(tmp_path / "co_so_y_te.xlsx"), _options())
    assert report.rows_loaded == 3 and report.rows_rejected == 0
    assert report.columns == {"name": "Tên", "kind": "Loại", "address": "Địa chỉ"}
    assert rows_of(db, "health", "name, kind, address, round(ST_X(geom)::numeric, 4)::float8, "
                                 "round(ST_Y(geom)::numeric, 4)::float8") == [
        ("Bệnh viện Chợ Rẫy", "hospital", "201B Nguyễn Chí Thanh", 106.6597, 10.7578),
        ("Trạm y tế Bến Nghé", "commune_health_station", "1 Lê Lợi", 106.7019, 10.7769),
        ("Nhà thuốc Long Châu", "pharmacy", "2 Lê Lợi", 106.7021, 10.7771)]


def test_an_ods_with_a_title_row_loads(db, catalog, tmp_path):
    path = tmp_path / "co_so_y_te.ods"
    rows = [["DANH SÁCH CƠ SỞ Y TẾ", None, None, None, None], [None] * 5, HEADER, *FACILITIES]
    pd.DataFrame(rows).to_excel(path, engine="odf", header=False, index=False)
    report = load_file(db, catalog["health"], path, _options())
    assert report.rows_loaded == 3 and report.columns["name"] == "Tên"
    assert [k for (k,) in rows_of(db, "health", "kind")] == ["hospital", "commune_health_station", "pharmacy"]


def test_a_header_on_two_rows_under_merged_cells_is_read_as_one(db, catalog, tmp_path):
    """`STT`, `Tên`, `Loại` merged down over two rows, `Tọa độ` merged across `Kinh độ` and `Vĩ độ`."""
    workbook = openpyxl.Workbook()
    ws = workbook.active
    ws.append(["DANH SÁCH ĐIỂM TIÊM CHỦNG"])
    ws.merge_cells("A1:E1")
    ws.append(["STT", "Tên", "Loại", "Tọa độ", None])
    ws.append([None, None, None, "Kinh độ", "Vĩ độ"])
    for column in "ABC":
        ws.merge_cells(f"{column}2:{column}3")
    ws.merge_cells("D2:E2")
    ws.append([1, "Điểm tiêm VNVC Hoàng Văn Thụ", "Tiêm chủng", 106.6650, 10.7990])
    ws.append([2, "Trung tâm y tế quận 1", "TTYT", 106.6990, 10.7800])
    path = tmp_path / "tiem_chung.xlsx"
    workbook.save(path)
    report = load_file(db, catalog["health"], path, _options())
    assert report.rows_loaded == 2 and report.unmatched_columns == ["STT"]
    assert rows_of(db, "health", "kind") == [("vaccination",), ("hospital",)]


def test_a_kind_merged_down_over_a_group_of_rows_belongs_to_each_row(db, catalog, tmp_path):
    workbook = openpyxl.Workbook()
    ws = workbook.active
    ws.append(HEADER)
    for i in range(3):
        ws.append([f"Nhà thuốc {i}", "Nhà thuốc" if i == 0 else None, f"{i} Lê Lợi", 106.70 + i / 1000, 10.77])
    ws.merge_cells("B2:B4")
    path = tmp_path / "nha_thuoc.xlsx"
    workbook.save(path)
    report = load_file(db, catalog["health"], path, _options())
    assert report.rows_loaded == 3 and rows_of(db, "health", "kind") == [("pharmacy",)] * 3


def test_source_layer_names_the_sheet_and_an_unknown_one_is_refused_listing_them(db, catalog, tmp_path):
    workbook = openpyxl.Workbook()
    workbook.active.title = "Ghi chú"
    workbook.active.append(["Tệp do phòng Kế hoạch lập"])
    _titled_sheet(workbook.create_sheet("Nhà thuốc"), HEADER, FACILITIES[2:])
    path = tmp_path / "so_y_te.xlsx"
    workbook.save(path)
    report = load_file(db, catalog["health"], path, _options(source_layer="Nhà thuốc"))
    assert report.rows_loaded == 1 and rows_of(db, "health", "name") == [("Nhà thuốc Long Châu",)]
    before = published(db, "health")
    with pytest.raises(LoadRefused) as info:
        load_file(db, catalog["health"], path, _options(source_layer="Bệnh viện"))
    assert "Ghi chú, Nhà thuốc" in info.value.en and "trang tính" in info.value.vi and "--source-layer" in info.value.en
    assert published(db, "health") == before


def test_an_xlsx_inside_a_zip_is_read_from_its_first_sheet(db, catalog, tmp_path):
    sheet = _xlsx(tmp_path / "co_so.xlsx")
    path = tmp_path / "co_so.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.write(sheet, "export/co_so.xlsx")
    assert load_file(db, catalog["health"], path, _options()).rows_loaded == 3


def test_a_row_with_an_address_and_no_coordinates_is_rejected_naming_the_row(db, catalog, tmp_path):
    rows = [*FACILITIES, ["Phòng khám Đa khoa Sài Gòn", "Phòng khám", "6 Thủ Khoa Huân, Phường Bến Thành", None, None]]
    report = load_file(db, catalog["health"], _xlsx(tmp_path / "co_so.xlsx", rows=rows), _options())
    assert report.rows_loaded == 3 and report.rows_rejected == 1
    rejection, = report.rejections
    assert rejection.row == 4 and rejection.code == "address_without_coordinates"
    assert rejection.value == "6 Thủ Khoa Huân, Phường Bến Thành" and rejection.field == "Kinh độ/Vĩ độ"
    assert "has an address but no coordinates" in rejection.reason and "Kinh độ/Vĩ độ" in rejection.reason
    assert "địa chỉ" in rejection.reason_vi and "tọa độ" in rejection.reason_vi


def test_a_sheet_of_addresses_only_is_refused_listing_its_columns(db, catalog, tmp_path):
    path = _xlsx(tmp_path / "dia_chi.xlsx", header=HEADER[:3], rows=[r[:3] for r in FACILITIES])
    before = published(db, "health")
    with pytest.raises(LoadRefused) as info:
        load_file(db, catalog["health"], path, _options())
    assert "no recognisable coordinate columns" in info.value.en and "Tên, Loại, Địa chỉ" in info.value.en
    assert "kinh độ" in info.value.vi and published(db, "health") == before


def test_a_damaged_workbook_is_refused_in_both_languages(db, catalog, tmp_path):
    path = tmp_path / "hong.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(LoadRefused) as info:
        load_file(db, catalog["health"], path, _options())
    assert "cannot read the spreadsheet" in info.value.en and "bảng tính" in info.value.vi
    assert info.value.source == "hong.xlsx"


def test_cells_are_written_as_the_table_path_reads_them(tmp_path):
    workbook = openpyxl.Workbook()
    ws = workbook.active
    ws.append(["Tên", "Số giường", "Ngày cấp phép", "Cập nhật", "Công lập", "Kinh độ", "Vĩ độ"])
    ws.append(["A", 120, dt.date(2024, 5, 1), dt.datetime(2024, 5, 1, 8, 30), True, 106.70001, 10.5])
    path = tmp_path / "o.xlsx"
    workbook.save(path)
    lines = sheets.to_csv(path, tmp_path).read_text(encoding="utf-8").splitlines()
    assert lines == ["Tên,Số giường,Ngày cấp phép,Cập nhật,Công lập,Kinh độ,Vĩ độ",
                     "A,120,2024-05-01,2024-05-01 08:30:00,true,106.70001,10.5"]


@pytest.mark.parametrize(("rows", "expected"), [
    ([["Danh sách"], [], ["Tên", "Kinh độ", "Vĩ độ"], ["A", "106.7", "10.7"]], 2),
    ([["Tên", "Kinh độ", "Vĩ độ"], ["A", "106.7", "10.7"]], 0),
    ([["Sở Y tế", "", "", "Cộng hòa xã hội chủ nghĩa Việt Nam", "", ""], ["", "", "", "", "", ""],
      ["STT", "Tên", "Loại", "Địa chỉ", "Kinh độ", "Vĩ độ"], ["1", "A", "BV", "1 Lê Lợi", "106.7", "10.7"]], 2),
    ([["Báo cáo", "", ""], ["Tên", "Loại", "Địa chỉ"], ["A", "BV", "1 Lê Lợi"]], 1),
])
def test_the_header_is_found_below_title_rows(rows, expected):
    width = max(len(r) for r in rows)
    assert sheets.header_row([r + [""] * (width - len(r)) for r in rows]) == expected
