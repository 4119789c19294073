"""Every rejected row, as the file had it, with why: a CSV the clerk fixes in her spreadsheet and sends again.

The report lists the first rows only (a file may reject a million); this file has them all. The
row's own columns come first, so the fixed file loads like the original; the reason columns follow
and match no layer field, so they are left out of the next load.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

from etl.report import Rejection

REASON_COLUMNS = ("Dòng / row", "Trường / field", "Giá trị / value", "Lý do", "Reason")


class RejectedRows:
    """Appends each chunk's rejected rows to `path` (UTF-8 with BOM, so Excel shows Vietnamese right)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.count = 0
        self._columns: list[str] | None = None

    def __enter__(self) -> RejectedRows:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = open(self.path, "w", encoding="utf-8-sig", newline="")
        self._writer = csv.writer(self._fh)
        return self

    def __exit__(self, *_exc) -> None:
        self._fh.close()

    def write(self, attributes: pd.DataFrame, first_row: int, rejections: list[Rejection]) -> None:
        """The chunk starting at `first_row`; a row rejected for several reasons is written once, its first."""
        if not rejections:
            return
        if self._columns is None:
            self._columns = list(attributes.columns)
            self._writer.writerow([*self._columns, *REASON_COLUMNS])
        seen: set[int] = set()
        for r in rejections:
            if r.row in seen:
                continue
            seen.add(r.row)
            values = attributes.iloc[r.row - first_row].reindex(self._columns)
            self._writer.writerow([_cell(v) for v in values] + [r.row, r.field, r.value or "", r.reason_vi, r.reason])
            self.count += 1


def _cell(value) -> str:
    return "" if value is None or (not isinstance(value, (list, tuple)) and pd.isna(value)) else str(value)
