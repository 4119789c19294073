"""Points from a table's coordinate columns, read as people write them in spreadsheets.

GDAL reads `10,7756` (a Vietnamese decimal comma) or `10°46'32"N` as no number at all, and the row
becomes a missing geometry nobody can explain. Here each value is read as text: plain numbers at
numpy speed, the rest (decimal commas, degrees-minutes-seconds) one distinct value at a time, and a
value that still cannot be read is kept with its column, so the row is rejected naming it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from etl import reasons

# Marks people type for degrees, minutes and seconds, folded onto ° ' ".
_MARKS = str.maketrans({"º": "°", "˚": "°", "′": "'", "’": "'", "‘": "'", "ʹ": "'", "´": "'", "″": '"',
                        "“": '"', "”": '"', "ʺ": '"'})
_NUMBER = r"\d+(?:[.,]\d+)?"
_HEMISPHERE = "NSEWBĐT"
_DMS = re.compile(rf"""^(?P<before>[{_HEMISPHERE}])?\s*(?P<sign>[+-])?\s*
                      (?P<deg>{_NUMBER})\s*(?:°\s*|\s+|(?=[{_HEMISPHERE}]$)|$)
                      (?:(?P<min>{_NUMBER})\s*(?:'\s*|\s+|(?=[{_HEMISPHERE}]$)|$)
                         (?:(?P<sec>{_NUMBER})\s*(?:"|'')?\s*)?)?
                      (?P<after>[{_HEMISPHERE}])?$""", re.VERBOSE)
# N and S as in English, B (Bắc) and Đ (Đông) as on Vietnamese maps; T (Tây) is west. "N" stays North: a
# Vietnamese "Nam" (south) would put the point outside the country, and its row is rejected there.
_NEGATIVE = {"S", "W", "T"}
_PLAIN = r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$"
_DECIMAL_COMMA = re.compile(r"^[+-]?\d+,\d+$")
_GROUPED_DOTS = re.compile(r"^[+-]?\d{1,3}(?:\.\d{3})+(?:,\d+)?$")  # 1.190.000,5 (VN-2000 metres)
_GROUPED_COMMAS = re.compile(r"^[+-]?\d{1,3}(?:,\d{3}){2,}(?:\.\d+)?$")  # 1,190,000.5


@lru_cache(maxsize=4096)
def parse_value(text: str) -> float | None:
    """One coordinate as written (decimal comma, grouped thousands, degrees-minutes-seconds), or None."""
    value = text.strip().upper().translate(_MARKS)
    if _DECIMAL_COMMA.match(value):
        return _finite(value.replace(",", "."))
    if _GROUPED_DOTS.match(value):
        return _finite(value.replace(".", "").replace(",", "."))
    if _GROUPED_COMMAS.match(value):
        return _finite(value.replace(",", ""))
    match = _DMS.match(value)
    if match is None or (match["before"] and match["after"]):
        return None
    degrees, minutes, seconds = (float((match[k] or "0").replace(",", ".")) for k in ("deg", "min", "sec"))
    if minutes >= 60 or seconds >= 60:
        return None
    negative = match["sign"] == "-" or (match["before"] or match["after"]) in _NEGATIVE
    return (-1 if negative else 1) * (degrees + minutes / 60 + seconds / 3600)


def _finite(text: str) -> float | None:
    number = float(text)
    return number if math.isfinite(number) else None


def _plain_numbers(text: pa.Array) -> np.ndarray:
    """Arrow's own number parsing (fast) for the values that are plain decimal numbers; NaN for the rest."""
    try:
        numbers = pc.cast(text, pa.float64())
    except pa.ArrowInvalid:  # some value is not a plain number: cast only those that are
        numbers = pc.cast(pc.if_else(pc.match_substring_regex(text, _PLAIN), text, pa.scalar(None, pa.string())),
                          pa.float64())
    numbers = numbers.to_numpy(zero_copy_only=False).astype(float, copy=True)
    numbers[~np.isfinite(numbers)] = np.nan  # "inf", "nan": not coordinates
    return numbers


def parse(values: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(numbers, mask of empty values, mask of values that could not be read); NaN where there is no number."""
    text = pc.utf8_trim_whitespace(pa.array(values.astype("str"), type=pa.string(), from_pandas=True))
    text = pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)
    blank = pc.is_null(text).to_numpy(zero_copy_only=False)
    numbers = _plain_numbers(text)
    slow = ~blank & np.isnan(numbers)
    if slow.any():  # decimal commas, DMS, typos: each distinct value read once (None becomes NaN)
        numbers[slow] = [parse_value(t) for t in text.filter(pa.array(slow)).to_pylist()]
    return numbers, blank, ~blank & np.isnan(numbers)


@dataclass
class Points:
    """A chunk's points from its coordinate columns, and why each row without one has none."""

    columns: tuple[str, str]
    geometries: np.ndarray
    blank: dict[int, tuple[bool, bool]] = field(default_factory=dict)  # position -> (x empty, y empty)
    unread: dict[int, tuple[str, str]] = field(default_factory=dict)  # position -> (column, value as written)

    def rejection(self, position: int, address: object) -> tuple[str, object, reasons.Reason]:
        """(field, value, reason) for a row without a point; `address` is the row's address, if the layer has one."""
        if position in self.unread:
            column, value = self.unread[position]
            return column, value, reasons.bad_coordinate(column, value)
        x_empty, y_empty = self.blank[position]
        if x_empty != y_empty:
            column = self.columns[0] if x_empty else self.columns[1]
            return column, None, reasons.coordinate_missing(column)
        both = "/".join(self.columns)
        if isinstance(address, str) and address.strip():
            return both, address, reasons.ADDRESS_WITHOUT_COORDINATES
        return both, None, reasons.NO_COORDINATES


def points(attributes: pd.DataFrame, columns: tuple[str, str]) -> Points:
    """The points of a chunk whose coordinates are the text columns `columns` (x, y), in the file's own CRS."""
    x, x_blank, x_bad = parse(attributes[columns[0]])
    y, y_blank, y_bad = parse(attributes[columns[1]])
    found = np.isfinite(x) & np.isfinite(y)
    geometries = np.full(len(attributes), None, dtype=object)
    geometries[found] = shapely.points(x[found], y[found])
    unread = {int(i): (columns[0], attributes[columns[0]].iloc[i]) for i in np.flatnonzero(x_bad)}
    unread.update({int(i): (columns[1], attributes[columns[1]].iloc[i]) for i in np.flatnonzero(y_bad & ~x_bad)})
    missing = np.flatnonzero(~found & ~x_bad & ~y_bad)
    blank = {int(i): (bool(x_blank[i]), bool(y_blank[i])) for i in missing}
    return Points(columns, geometries, blank, unread)
