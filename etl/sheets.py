"""Spreadsheets (.xlsx, .xls, .ods) as agencies export them, turned into the UTF-8 CSV every table goes through.

A clerk's sheet has a title or two above the table (often merged across it) and blank rows between; the
header is the first row that fills most of the table's width with distinct names, preferring one that names
the coordinates. A header on two levels ("Tên" merged down beside "Kinh độ", "Vĩ độ" under a merged "Tọa độ")
takes its empty cells from the merged cell above. Cells are written back as the CSV path reads them: whole
numbers without ".0", dates in ISO form, true/false.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from collections.abc import Iterator
from itertools import chain, islice
from pathlib import Path

from python_calamine import CalamineError, CalamineSheet, CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

from etl.errors import LoadRefused
from etl.read import CSV_X_NAMES, CSV_Y_NAMES, fold_name

SHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
HEADER_SEARCH_ROWS = 30  # title rows are few; a header further down is not a header


def to_csv(path: Path, folder: Path, wanted: str | None = None) -> Path:
    """Write one sheet (the first, or the one `wanted` names) from its header row down as a CSV in `folder`.

    The CSV is named after `wanted` when given, so that --source-layer, having chosen the sheet, reads as the
    name of the file to read (etl.pipeline passes it on to GDAL otherwise).
    """
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        sheet = workbook.get_sheet_by_name(_sheet_name(workbook, path, wanted))
        merges = _Merges(sheet)
        rows = (list(map(_cell, row)) for row in sheet.iter_rows())
        head = list(islice(rows, HEADER_SEARCH_ROWS))
        seen = [merges.fill(i, list(row), across=True) for i, row in enumerate(head)]
        at = header_row(seen)
        if at is None:
            raise LoadRefused(f"the sheet {sheet.name!r} is empty", f"trang tính {sheet.name!r} trống",
                              source=path.name)
        header = _names(_lifted(seen, at), max(_extent(r) for r in seen))
        body = (merges.fill(i, row, across=False) for i, row in enumerate(chain(head, rows)) if i > at)
        target = folder / f"{wanted or path.stem}.csv"
        with open(target, "w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(header)
            writer.writerows(_data(body, len(header)))
    except CalamineError as exc:
        raise LoadRefused(f"cannot read the spreadsheet (damaged, or protected by a password): {exc}",
                          f"không đọc được bảng tính (tệp hỏng hoặc có mật khẩu): {exc}", source=path.name) from exc
    return target


def _sheet_name(workbook: CalamineWorkbook, path: Path, wanted: str | None) -> str:
    names = workbook.sheet_names
    if wanted in names:
        return wanted
    if wanted is None or wanted in (path.stem, path.name):  # --source-layer chose this file in an archive
        visible = [m.name for m in workbook.sheets_metadata
                   if m.typ == SheetTypeEnum.WorkSheet and m.visible == SheetVisibleEnum.Visible]
        return (visible or names)[0]
    listed = ", ".join(names)
    raise LoadRefused(f"no sheet {wanted!r}; the file has: {listed}, choose one with --source-layer",
                      f"không có trang tính {wanted!r}; tệp có: {listed}, hãy chọn một bằng --source-layer",
                      source=path.name)


def _cell(value: object) -> str:
    """A cell as the CSV path reads it back."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return "" if value is None else str(value).strip()


def _is_name(text: str) -> bool:
    """A header cell is words, not a number (a data row of numbers is no header)."""
    try:
        float(text.replace(",", "."))
    except ValueError:
        return True
    return False


def _names_coordinates(names: list[str]) -> bool:
    folded = {fold_name(n) for n in names}
    return bool(folded & set(CSV_X_NAMES)) and bool(folded & set(CSV_Y_NAMES))


def _extent(row: list[str]) -> int:
    return max((j + 1 for j, c in enumerate(row) if c), default=0)


def _lifted(rows: list[list[str]], i: int) -> list[str]:
    """Row i with its empty cells taken from the row above when that row is the upper level of a two-row header
    (it fills two cells or more: a title fills one); for .ods and .xls, whose merged cells calamine does not give."""
    above = rows[i - 1] if i > 0 and sum(map(bool, rows[i - 1])) >= 2 else []
    return [c or (above[j] if j < len(above) else "") for j, c in enumerate(rows[i])]


def header_row(rows: list[list[str]]) -> int | None:
    """Index of the header among the first rows: one that fills most of the widest row with distinct names,
    the first that names the coordinates if any does; None for a sheet without a filled cell."""
    width = max((sum(map(bool, r)) for r in rows), default=0)
    if width == 0:
        return None
    candidates = []
    for i in range(len(rows)):
        names = [c for c in _lifted(rows, i) if c]
        if len(names) >= max(2, math.ceil(width / 2)) and all(map(_is_name, names)) \
                and len({fold_name(n) for n in names}) == len(names):
            candidates.append(i)
    named = [i for i in candidates if _names_coordinates(_lifted(rows, i))]
    return (named or candidates or [next(i for i, r in enumerate(rows) if any(r))])[0]


class _Merges:
    """A sheet's merged cells: the value shown in a merged cell belongs to every cell it covers.

    Above and in the header every merge is spread (a title merged across the table then repeats its words and
    is no header; "Tên" merged down beside "Kinh độ" names its column); in the data only merges down several
    rows (one "Loại" for a group of rows), not a section title merged across a row.
    """

    def __init__(self, sheet: CalamineSheet) -> None:
        top, left = sheet.start
        self._covering: dict[int, list[tuple[int, int, int, bool]]] = {}  # row -> (first row, c1, c2, down)
        self._values: dict[tuple[int, int], str] = {}
        for (r1, c1), (r2, c2) in sheet.merged_cell_ranges or ():
            for r in range(r1 - top, r2 - top + 1):
                self._covering.setdefault(r, []).append((r1 - top, c1 - left, c2 - left, r2 > r1))

    def fill(self, r: int, row: list[str], *, across: bool) -> list[str]:
        for first, c1, c2, down in self._covering.get(r, ()):
            if r == first and c1 < len(row):
                self._values[(first, c1)] = row[c1]
            if across or down:
                value = self._values.get((first, c1), "")
                for c in range(c1, min(c2 + 1, len(row))):
                    row[c] = row[c] or value
        return row


def _names(row: list[str], width: int) -> list[str]:
    """The header's names over the table's width, repeated ones numbered, an unnamed column field_N."""
    seen: dict[str, int] = {}
    names = []
    for j, name in enumerate(row[:width] + [""] * (width - len(row))):
        name = name or f"field_{j + 1}"
        seen[fold_name(name)] = seen.get(fold_name(name), 0) + 1
        names.append(name if seen[fold_name(name)] == 1 else f"{name} ({seen[fold_name(name)]})")
    return names


def _data(rows: Iterator[list[str]], width: int) -> Iterator[list[str]]:
    """The rows under the header, cut to its width; blank rows (spacers, formatted but empty) left out."""
    for row in rows:
        cells = row[:width]
        if any(cells):
            yield cells + [""] * (width - len(cells))
